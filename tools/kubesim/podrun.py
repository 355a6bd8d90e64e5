"""One Pod run: volumes, image mapping, init containers, containers as processes, restarts,
termination. Its status is built by :class:`~.podstatus.PodStatus`."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock, format_time
from .containers import (
    MOUNT_SCRIPT,
    EnvResolver,
    find_mapping,
    namespace_mounts,
    resolve_command,
)
from .oom import parse_bytes
from .podstatus import TERMINAL, PodStatus
from .settings import ImageMapping
from .volumes import Mount, PathMap, VolumeNotReadyError, materialise

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class PodRun(PodStatus, threading.Thread):
    """Runs one Pod: volumes, init containers, containers, restarts, termination."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        m = pod["metadata"]
        super().__init__(name=f"pod-{m['namespace']}-{m['name']}", daemon=True)
        self.kubelet = kubelet
        self.api = kubelet.api
        self.pod = pod
        self.namespace, self.pod_name, self.uid = m["namespace"], m["name"], m["uid"]
        self.spec: Obj = pod["spec"]
        self.rewrites = kubelet.faults.node_rewrites(self.spec.get("nodeName", ""))
        self.dir = kubelet.work_dir / "pods" / self.uid
        self.stopping = threading.Event()
        self.grace = 0
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.kill_reasons: dict[str, str] = {}
        self.statuses: dict[str, Obj] = {}
        self.init_statuses: dict[str, Obj] = {}
        self.conditions: dict[str, tuple[str, str]] = {}
        self.phase = "Pending"
        self.reason: str | None = None
        self.start_time = format_time(kubelet.clock.now())
        self._lock = threading.Lock()
        self._published: Obj | None = None
        self.lost = False

    # -- control -----------------------------------------------------------------------

    def request_stop(self, grace: int) -> None:
        if self.stopping.is_set():
            if grace == 0:
                self._signal_all(signal.SIGKILL)
            return
        self.grace = grace
        self.stopping.set()
        threading.Thread(target=self._terminate, daemon=True).start()

    def _terminate(self) -> None:
        """SIGTERM every container process (including ones that start meanwhile), then
        SIGKILL whatever is left when the grace period ends."""
        deadline = time.monotonic() + self.grace
        told: set[int] = set()
        while True:
            procs = self._procs()
            for proc in procs:
                if proc.pid not in told:
                    told.add(proc.pid)
                    _signal(proc, signal.SIGTERM)
            if time.monotonic() >= deadline or (
                procs and all(p.poll() is not None for p in procs) and not self.is_alive()
            ):
                break
            if not self.is_alive():
                break
            time.sleep(0.02)
        self._signal_all(signal.SIGKILL)

    def _procs(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            return list(self.procs.values())

    def _signal_all(self, sig: int) -> None:
        for proc in self._procs():
            _signal(proc, sig)

    def kill(self, container: str | None, sig: int, reason: str | None) -> None:
        with self._lock:
            targets = [(n, p) for n, p in self.procs.items() if container in (None, n)]
        if not targets:
            raise KeyError(f"no running container {container or ''} in {self.pod_name}")
        for cname, proc in targets:
            if reason:
                self.kill_reasons[cname] = reason
            _signal(proc, sig)

    # -- the run -----------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception(
                "kubelet: pod %s/%s crashed the simulated kubelet", self.namespace, self.pod_name
            )
        finally:
            self._finish()

    def _run(self) -> None:
        if self.kubelet.settings.kubelet_delay and self.stopping.wait(
            self.kubelet.settings.kubelet_delay
        ):
            return
        containers = self.spec.get("containers") or []
        inits = self.spec.get("initContainers") or []
        for c in inits:
            self.init_statuses[c["name"]] = self._waiting(
                c, "PodInitializing" if False else "ContainerCreating"
            )
        for c in containers:
            self.statuses[c["name"]] = self._waiting(
                c, "PodInitializing" if inits else "ContainerCreating"
            )
        self._set_condition("PodReadyToStartContainers", "False")
        self._set_condition("Initialized", "False" if inits else "True")
        self._set_condition("Ready", "False")
        self._set_condition("ContainersReady", "False")
        self._publish()
        if not self._pull_images(inits + containers):
            return
        mounts = self._mount_volumes()
        if mounts is None:
            return
        self._set_condition("PodReadyToStartContainers", "True")
        for c in inits:
            if not self._container_loop(c, mounts, init=True):
                self.phase = "Failed"
                self._publish()
                return
        self._set_condition("Initialized", "True")
        for c in containers:
            self.statuses[c["name"]] = self._waiting(c, "ContainerCreating")
        threads = [
            threading.Thread(target=self._container_loop, args=(c, mounts), daemon=True)
            for c in containers
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _pull_images(self, containers: list[Obj]) -> bool:
        missing = [
            c
            for c in containers
            if find_mapping(self.kubelet.settings.images, c.get("image", "")) is None
        ]
        if not missing:
            return True
        for c in missing:
            target = self.statuses if c["name"] in self.statuses else self.init_statuses
            target[c["name"]] = self._waiting(
                c,
                "ErrImagePull",
                f'failed to pull and unpack image "{c["image"]}": kubesim has no mapping for this '
                "image",
            )
        self._event(
            "Warning",
            "Failed",
            f'Failed to pull image "{missing[0]["image"]}": kubesim has no mapping for this image',
        )
        self._publish()
        if self.stopping.wait(0.2):
            return False
        for c in missing:
            target = self.statuses if c["name"] in self.statuses else self.init_statuses
            target[c["name"]] = self._waiting(
                c, "ImagePullBackOff", f'Back-off pulling image "{c["image"]}"'
            )
        self._publish()
        self.stopping.wait()
        return False

    def _mount_volumes(self) -> dict[str, Path] | None:
        pods_root = self.dir / "volumes"
        cm_rt = self.api.resource("", "v1", "configmaps")
        secret_rt = self.api.resource("", "v1", "secrets")

        def lookup(kind: str, name: str) -> Obj | None:
            return self.api.find(cm_rt if kind == "configmap" else secret_rt, self.namespace, name)

        reported: set[str] = set()
        failing = ""
        while True:
            mounts: dict[str, Path] = {}
            try:
                for volume in self.spec.get("volumes") or []:
                    failing = volume["name"]
                    mounts[failing] = materialise(volume, pods_root, lookup)
                self._rewrite_files(mounts.values())
                return mounts
            except VolumeNotReadyError as exc:
                message = f'MountVolume.SetUp failed for volume "{failing}" : {exc}'
                if message not in reported:  # the real kubelet repeats it with back-off
                    self._event("Warning", "FailedMount", message)
                    reported.add(message)
                if self.stopping.wait(0.2):
                    return None

    def _node_rewrite(self, text: str) -> str:
        """Apply the node's injected address rewrites (Faults.rewrite_on_node)."""
        for address, replacement in self.rewrites.items():
            text = text.replace(address, replacement)
        return text

    def _rewrite_files(self, roots: Iterable[Path]) -> None:
        if not self.rewrites:
            return
        for root in roots:
            for path in root.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    _rewrite_file(path, self._node_rewrite)

    def _container_loop(self, c: Obj, volumes: dict[str, Path], init: bool = False) -> bool:
        """Run a container, restarting it per restartPolicy; True if it ended with 0."""
        policy = self.spec.get("restartPolicy", "Always")
        statuses = self.init_statuses if init else self.statuses
        restarts = 0
        while True:
            if self.stopping.is_set():
                return False
            code = self._exec(c, volumes, statuses, restarts)
            again = (policy == "Always" and not init) or (policy != "Never" and code != 0)
            if not again or self.stopping.is_set():
                return code == 0
            last = statuses[c["name"]]["state"]
            delay = min(self.kubelet.settings.container_backoff_base * 2**restarts, 300.0)
            restarts += 1
            statuses[c["name"]] = {
                **self._waiting(
                    c,
                    "CrashLoopBackOff",
                    f"back-off {delay:.0f}s restarting failed container={c['name']} "
                    f"pod={self.pod_name}_{self.namespace}({self.uid})",
                ),
                "restartCount": restarts,
                "lastState": last,
            }
            self._publish()
            if self.stopping.wait(delay):
                return False

    def _exec(
        self, c: Obj, volumes: dict[str, Path], statuses: dict[str, Obj], restarts: int
    ) -> int:
        name = c["name"]
        mapping = find_mapping(self.kubelet.settings.images, c.get("image", ""))
        assert mapping is not None
        paths = _container_paths(c, volumes)
        if mapping.in_process is not None:
            return self._exec_in_process(c, mapping, paths, statuses, restarts)
        logbuf = self.kubelet.logs.new_instance(self.uid, name)
        isolate = bool(paths.mounts) and self.kubelet.mount_mode == "namespace"
        argv = list(c.get("command") or mapping.entrypoint) + list(c.get("args") or [])
        argv = [self._node_rewrite(a) for a in argv]
        if not isolate:
            argv = [paths.rewrite(a) for a in argv]
        env = self._env(c, mapping, paths, rewrite=not isolate)
        cwd = self.dir / "containers" / name
        cwd.mkdir(parents=True, exist_ok=True)
        if c.get("workingDir"):
            cwd = Path(paths.host(c["workingDir"]) or cwd)
        container_id = self._container_id(name, restarts)
        started = format_time(self.kubelet.clock.now())
        proc = None
        limits = (c.get("resources") or {}).get("limits") or {}
        confinement = self.kubelet.memory.confine(parse_bytes(limits.get("memory", "")))
        command = self._command_line(argv, mapping, env["PATH"], paths, isolate)
        if command is not None:
            command = confinement.wrap(command)
            try:
                proc = subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                logbuf.append(self.kubelet.clock.now(), f"{exc}\n".encode())
        if proc is None:
            confinement.finish()
            logbuf.close()
            what = argv[0] if argv else ""
            statuses[name] = self._terminated(
                c,
                statuses[name],
                128,
                "StartError",
                container_id,
                started,
                restarts,
                f'exec: "{what}": executable file not found in $PATH',
            )
            self._publish()
            return 128
        confinement.started(proc.pid)
        with self._lock:
            self.procs[name] = proc
        self._set_running(c, statuses, restarts, container_id, started)
        reader = threading.Thread(target=_pump, args=(proc, logbuf, self.kubelet.clock))
        reader.daemon = True
        reader.start()
        self._wait(proc, name)
        reader.join()
        logbuf.close()
        if confinement.finish():
            self.kill_reasons.setdefault(name, "OOMKilled")
        with self._lock:
            self.procs.pop(name, None)
        code, reason = self._exit_code_and_reason(name, proc.returncode)
        statuses[name] = self._terminated(
            c, statuses[name], code, reason, container_id, started, restarts
        )
        self._publish()
        return code

    def _exec_in_process(
        self, c: Obj, mapping: ImageMapping, paths: PathMap, statuses: dict[str, Obj], restarts: int
    ) -> int:
        """Run a container whose image maps to a function: the same statuses and log as a
        process that printed its output and exited, with no process."""
        assert mapping.in_process is not None
        name = c["name"]
        logbuf = self.kubelet.logs.new_instance(self.uid, name)
        argv = list(c.get("command") or mapping.entrypoint) + list(c.get("args") or [])
        argv = [paths.rewrite(self._node_rewrite(a)) for a in argv]
        env = self._env(c, mapping, paths, rewrite=True)
        container_id = self._container_id(name, restarts)
        started = format_time(self.kubelet.clock.now())
        self._set_running(c, statuses, restarts, container_id, started)
        try:
            code, output = mapping.in_process(argv, env)
        except Exception as exc:  # a crashing program exits non-zero; the kubelet goes on
            code, output = 1, f"{exc!r}\n".encode()
        now = self.kubelet.clock.now()
        for line in output.splitlines(keepends=True):
            logbuf.append(now, line)
        logbuf.close()
        code, reason = self._exit_code_and_reason(name, code)
        statuses[name] = self._terminated(
            c, statuses[name], code, reason, container_id, started, restarts
        )
        self._publish()
        return code

    def _container_id(self, name: str, restarts: int) -> str:
        digest = hashlib.sha256(f"{self.uid}{name}{restarts}".encode()).hexdigest()
        return f"kubesim://{digest}"

    def _set_running(
        self, c: Obj, statuses: dict[str, Obj], restarts: int, container_id: str, started: str
    ) -> None:
        statuses[c["name"]] = {
            **self._base(c, restarts, statuses.get(c["name"])),
            "ready": True,
            "started": True,
            "containerID": container_id,
            "state": {"running": {"startedAt": started}},
        }
        self._publish()

    def _exit_code_and_reason(self, name: str, returncode: int) -> tuple[int, str]:
        """The container status' exit code (128 + signal) and reason (a kill's, if any)."""
        code = returncode if returncode >= 0 else 128 - returncode
        reason = self.kill_reasons.pop(name, None) or ("Completed" if code == 0 else "Error")
        return (137 if reason == "OOMKilled" else code), reason

    def _command_line(
        self, argv: list[str], mapping: ImageMapping, path: str, paths: PathMap, isolate: bool
    ) -> list[str] | None:
        """The argv to spawn (in a private mount namespace with ``isolate``); None when the
        executable is not found."""
        exe = resolve_command(argv[0], mapping, path, paths if isolate else None) if argv else None
        if exe is None:
            return None
        command = [exe, *argv[1:]]
        if not isolate:
            return command
        binds: list[str] = []
        for mount in namespace_mounts(paths.mounts, self._host_paths(mapping)):
            binds += [str(mount.host_path), mount.container_path, "ro" if mount.read_only else "rw"]
        unshare = ["unshare", "--mount", "--propagation", "private", "--"]
        return [*unshare, "/bin/sh", "-c", MOUNT_SCRIPT, "sh", *binds, "--", *command]

    def _wait(self, proc: subprocess.Popen[bytes], name: str) -> None:
        deadline = self.spec.get("activeDeadlineSeconds")
        while True:
            try:
                proc.wait(timeout=0.05)
                return
            except subprocess.TimeoutExpired:
                pass
            if (
                deadline is not None
                and (self.kubelet.clock.now().timestamp() - _ts(self.start_time)) > deadline
            ):
                self.reason = "DeadlineExceeded"
                self.kill_reasons[name] = "DeadlineExceeded"
                _signal(proc, signal.SIGKILL)

    def _host_paths(self, mapping: ImageMapping) -> list[Path]:
        """Host directories a container process needs to see (see namespace_mounts)."""
        paths = {Path(sys.prefix), Path(sys.base_prefix), self.kubelet.work_dir, self.dir}
        if mapping.bin_dir:
            paths.add(Path(mapping.bin_dir))
        return [p.resolve() for p in paths]

    def _env(self, c: Obj, mapping: ImageMapping, paths: PathMap, rewrite: bool) -> dict[str, str]:
        path = os.environ.get("PATH", "/usr/bin:/bin")
        if mapping.bin_dir is not None:
            path = f"{mapping.bin_dir}{os.pathsep}{path}"
        env = {
            "PATH": path,
            "HOME": str(self.dir),
            "HOSTNAME": self.pod_name,
            "KUBESIM_PATH_MAP": paths.as_env(),
            "KUBESIM_POD_DIR": str(self.dir),
        }
        for key in ("LANG", "LC_ALL", "TZ", "NO_PROXY", "no_proxy"):
            if key in os.environ:
                env[key] = os.environ[key]
        if self.kubelet.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubelet.kubeconfig)
        EnvResolver(self.api, self.pod, self.spec.get("nodeName", "")).apply(c, env, paths, rewrite)
        return {key: self._node_rewrite(value) for key, value in env.items()}

    def _finish(self) -> None:
        if self.lost:
            return
        if self.stopping.is_set():
            for name, status in list(self.statuses.items()):
                if "terminated" not in (status.get("state") or {}):
                    self.statuses[name] = {
                        **status,
                        "ready": False,
                        "started": False,
                        "state": {
                            "terminated": {
                                "exitCode": 137,
                                "reason": "ContainerStatusUnknown",
                                "message": "The container could not be located "
                                "when the pod was terminated",
                                "finishedAt": format_time(self.kubelet.clock.now()),
                            }
                        },
                    }
            if self._compute_phase() not in TERMINAL:
                self.phase = "Failed"
        self._publish()
        shutil.rmtree(self.dir / "containers", ignore_errors=True)
        pod_rt = self.api.resource("", "v1", "pods")
        pod = self.api.find(pod_rt, self.namespace, self.pod_name)
        if (
            pod is not None
            and pod["metadata"]["uid"] == self.uid
            and pod["metadata"].get("deletionTimestamp")
        ):
            self.kubelet._final_delete(pod)


def _container_paths(c: Obj, volumes: dict[str, Path]) -> PathMap:
    """Container path -> host path of the container's volume mounts."""
    return PathMap(
        [
            Mount(
                vm["mountPath"],
                volumes[vm["name"]] / vm.get("subPath", ""),
                bool(vm.get("readOnly")),
            )
            for vm in c.get("volumeMounts") or []
            if vm.get("name") in volumes
        ]
    )


def _rewrite_file(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite a (possibly read-only) volume file in place, keeping its mode."""
    text = path.read_text(errors="surrogateescape")
    new = change(text)
    if new == text:
        return
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)
    path.write_text(new, errors="surrogateescape")
    path.chmod(mode)


def _pump(proc: subprocess.Popen[bytes], logbuf: Any, clock: Clock) -> None:
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, b""):
        logbuf.append(clock.now(), line)
    proc.stdout.close()


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _ts(text: str) -> float:
    from .clock import parse_time

    return parse_time(text).timestamp()
