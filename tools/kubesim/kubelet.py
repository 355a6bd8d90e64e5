"""A kubelet that runs Pods' containers as local processes.

Each container's ``command`` + ``args`` run as a subprocess with the container's env,
its volumes materialised under the work directory, and container paths mapped onto
them (see :mod:`tools.kubesim.volumes` and README). stdout and stderr are merged into
the container log; the exit code lands in the container status.
"""

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
from pathlib import Path
from typing import Any

from .api import Api, DeleteOptions
from .clock import Clock, format_time
from .containers import (
    MOUNT_SCRIPT,
    EnvResolver,
    effective_mount_mode,
    find_mapping,
    image_repository,
    namespace_mounts,
    resolve_command,
)
from .controller import Controller, record_event
from .errors import ApiError
from .faults import Faults
from .oom import MemoryLimits, parse_bytes
from .podlogs import LogStore
from .settings import ImageMapping, Settings
from .storage import Event
from .strategies import clone
from .volumes import Mount, PathMap, VolumeNotReadyError, materialise

log = logging.getLogger(__name__)
Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


class Kubelet(Controller):
    """Binds every Pod to the one simulated node and runs it."""

    name = "kubelet"

    def __init__(
        self, api: Api, settings: Settings, clock: Clock, work_dir: Path, faults: Faults
    ) -> None:
        super().__init__(api)
        self.settings = settings
        self.clock = clock
        self.work_dir = work_dir
        self.logs = LogStore(api, faults, settings.container_log_max_size)
        self.runs: dict[str, PodRun] = {}
        self.kubeconfig: Path | None = None
        self.mount_mode = effective_mount_mode(settings.mount_mode)
        self.memory = MemoryLimits(settings.memory_enforcement, f"{os.getpid()}-{id(self):x}")
        self.lost: set[str] = set()
        self._lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        if event.key != ("", "pods"):
            return
        m = event.obj["metadata"]
        if event.type == "DELETED":
            self.enqueue(("gone", m["uid"]))
        else:
            self.enqueue(("pod", m["namespace"], m["name"]))

    def reconcile(self, item: Any) -> float | None:
        if item[0] == "gone":
            with self._lock:
                run = self.runs.pop(item[1], None)
            if run is not None:
                run.request_stop(0)
            self.logs.forget(item[1])
            return None
        _, namespace, name = item
        pod_rt = self.api.resource("", "v1", "pods")
        pod = self.api.find(pod_rt, namespace, name)
        if pod is None:
            return None
        if not (pod.get("spec") or {}).get("nodeName"):
            self._bind(pod)
            return None
        uid = pod["metadata"]["uid"]
        with self._lock:
            run = self.runs.get(uid)
            if uid in self.lost:
                return None
        if pod["metadata"].get("deletionTimestamp"):
            if run is not None and run.is_alive():
                run.request_stop(int(pod["metadata"].get("deletionGracePeriodSeconds") or 0))
            elif pod["metadata"].get("deletionGracePeriodSeconds"):
                self._final_delete(pod)
            return None
        if run is None and (pod.get("status") or {}).get("phase") not in TERMINAL:
            run = PodRun(self, pod)
            with self._lock:
                self.runs[uid] = run
            run.start()
        return None

    def _bind(self, pod: Obj) -> None:
        """What the scheduler's binding does: set nodeName and PodScheduled."""
        store = self.api.store
        with store.lock:
            current = store.get(("", "pods"), pod["metadata"]["namespace"], pod["metadata"]["name"])
            if current is None or (current.get("spec") or {}).get("nodeName"):
                return
            new = clone(current)
            new["spec"]["nodeName"] = self.settings.node_name
            new.setdefault("status", {})["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": format_time(self.clock.now()),
                }
            ]
            store.update(("", "pods"), new, current)

    def _final_delete(self, pod: Obj) -> None:
        pod_rt = self.api.resource("", "v1", "pods")
        m = pod["metadata"]
        if (pod.get("status") or {}).get("phase") not in TERMINAL:

            def fail(p: Obj) -> None:
                p.setdefault("status", {})["phase"] = "Failed"

            self.api.mutate(pod_rt, m["namespace"], m["name"], fail, "status")
        try:
            self.api.delete(
                pod_rt,
                m["namespace"],
                m["name"],
                DeleteOptions(grace_period_seconds=0, preconditions={"uid": m["uid"]}),
            )
        except ApiError as exc:
            if exc.code not in (404, 409):
                raise

    def lose(self, namespace: str, name: str) -> None:
        """Forget a Pod as if its node vanished: SIGKILL, no more status, no final delete."""
        pod = self.api.get(self.api.resource("", "v1", "pods"), namespace, name)
        uid = pod["metadata"]["uid"]
        with self._lock:
            self.lost.add(uid)
            run = self.runs.get(uid)
        if run is not None:
            run.lost = True
            run.request_stop(0)

    def kill(
        self, namespace: str, name: str, container: str | None, sig: int, reason: str | None
    ) -> None:
        pod = self.api.get(self.api.resource("", "v1", "pods"), namespace, name)
        with self._lock:
            run = self.runs.get(pod["metadata"]["uid"])
        if run is None:
            raise KeyError(f"pod {namespace}/{name} is not running")
        run.kill(container, sig, reason)

    def stop(self) -> None:
        super().stop()
        with self._lock:
            runs = list(self.runs.values())
            self.runs.clear()
        for run in runs:
            run.request_stop(0)
        for run in runs:
            run.join(timeout=5)


class PodRun(threading.Thread):
    """Runs one Pod: volumes, init containers, containers, restarts, termination."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        m = pod["metadata"]
        super().__init__(name=f"pod-{m['namespace']}-{m['name']}", daemon=True)
        self.kubelet = kubelet
        self.api = kubelet.api
        self.pod = pod
        self.namespace, self.pod_name, self.uid = m["namespace"], m["name"], m["uid"]
        self.spec: Obj = pod["spec"]
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
                return mounts
            except VolumeNotReadyError as exc:
                message = f'MountVolume.SetUp failed for volume "{failing}" : {exc}'
                if message not in reported:  # the real kubelet repeats it with back-off
                    self._event("Warning", "FailedMount", message)
                    reported.add(message)
                if self.stopping.wait(0.2):
                    return None

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
        paths = PathMap(
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
        logbuf = self.kubelet.logs.new_instance(self.uid, name)
        isolate = self.kubelet.mount_mode == "namespace" and bool(paths.mounts)
        argv = list(c.get("command") or mapping.entrypoint) + list(c.get("args") or [])
        if not isolate:
            argv = [paths.rewrite(a) for a in argv]
        env = self._env(c, mapping, paths, rewrite=not isolate)
        cwd = self.dir / "containers" / name
        cwd.mkdir(parents=True, exist_ok=True)
        if c.get("workingDir"):
            cwd = Path(paths.host(c["workingDir"]) or cwd)
        container_id = (
            f"kubesim://{hashlib.sha256(f'{self.uid}{name}{restarts}'.encode()).hexdigest()}"
        )
        started = format_time(self.kubelet.clock.now())
        proc = None
        limits = (c.get("resources") or {}).get("limits") or {}
        confinement = self.kubelet.memory.confine(parse_bytes(limits.get("memory", "")))
        exe = (
            resolve_command(argv[0], mapping, env["PATH"], paths if isolate else None)
            if argv
            else None
        )
        if exe is not None:
            command = [exe, *argv[1:]]
            if isolate:
                binds: list[str] = []
                for mount in namespace_mounts(paths.mounts, self._host_paths(mapping)):
                    binds += [
                        str(mount.host_path),
                        mount.container_path,
                        "ro" if mount.read_only else "rw",
                    ]
                command = [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "--",
                    "/bin/sh",
                    "-c",
                    MOUNT_SCRIPT,
                    "sh",
                    *binds,
                    "--",
                    *command,
                ]
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
        statuses[name] = {
            **self._base(c, restarts, statuses.get(name)),
            "ready": True,
            "started": True,
            "containerID": container_id,
            "state": {"running": {"startedAt": started}},
        }
        self._publish()
        reader = threading.Thread(
            target=_pump, args=(proc, logbuf, self.kubelet.clock), daemon=True
        )
        reader.start()
        self._wait(proc, name)
        reader.join()
        logbuf.close()
        if confinement.finish():
            self.kill_reasons.setdefault(name, "OOMKilled")
        with self._lock:
            self.procs.pop(name, None)
        rc = proc.returncode
        code = rc if rc >= 0 else 128 - rc
        reason = self.kill_reasons.pop(name, None) or ("Completed" if code == 0 else "Error")
        if reason == "OOMKilled":
            code = 137
        statuses[name] = self._terminated(
            c, statuses[name], code, reason, container_id, started, restarts
        )
        self._publish()
        return code

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
        EnvResolver(self.api, self.pod, self.kubelet.settings.node_name).apply(
            c, env, paths, rewrite
        )
        return env

    # -- status ------------------------------------------------------------------------

    def _base(self, c: Obj, restarts: int, previous: Obj | None) -> Obj:
        image = c.get("image", "")
        digest = hashlib.sha256(image.encode()).hexdigest()
        out: Obj = {
            "name": c["name"],
            "image": image,
            "imageID": f"{image_repository(image)}@sha256:{digest}",
            "ready": False,
            "restartCount": restarts,
            "started": False,
            "lastState": (previous or {}).get("lastState") or {},
        }
        return out

    def _waiting(self, c: Obj, reason: str, message: str | None = None) -> Obj:
        waiting: Obj = {"reason": reason}
        if message:
            waiting["message"] = message
        return {**self._base(c, 0, None), "state": {"waiting": waiting}}

    def _terminated(
        self,
        c: Obj,
        current: Obj,
        code: int,
        reason: str,
        container_id: str,
        started: str,
        restarts: int,
        message: str | None = None,
    ) -> Obj:
        term: Obj = {
            "exitCode": code,
            "reason": reason,
            "startedAt": started,
            "finishedAt": format_time(self.kubelet.clock.now()),
            "containerID": container_id,
        }
        if message:
            term["message"] = message
        return {
            **self._base(c, restarts, current),
            "containerID": container_id,
            "state": {"terminated": term},
        }

    def _set_condition(self, kind: str, status: str) -> None:
        current = self.conditions.get(kind)
        if current is None or current[0] != status:
            self.conditions[kind] = (status, format_time(self.kubelet.clock.now()))

    def _compute_phase(self) -> str:
        if self.phase in TERMINAL:
            return self.phase
        states = [s.get("state") or {} for s in self.statuses.values()]
        policy = self.spec.get("restartPolicy", "Always")
        if states and all("terminated" in s for s in states):
            codes = [s["terminated"]["exitCode"] for s in states]
            if policy == "Never" or (policy == "OnFailure" and all(x == 0 for x in codes)):
                return "Succeeded" if all(x == 0 for x in codes) else "Failed"
        if any("running" in s or "terminated" in s for s in states) or any(
            s.get("restartCount") for s in self.statuses.values()
        ):
            return "Running"
        return "Pending"

    def _publish(self) -> None:
        if self.lost:
            return
        with self._lock:
            self.phase = self._compute_phase()
            running = [s for s in self.statuses.values() if "running" in (s.get("state") or {})]
            ready = (
                "True"
                if self.statuses and len(running) == len(self.statuses) and self.phase == "Running"
                else "False"
            )
            self._set_condition("Ready", ready)
            self._set_condition("ContainersReady", ready)
            conditions = [
                {"type": k, "status": v[0], "lastProbeTime": None, "lastTransitionTime": v[1]}
                for k, v in self.conditions.items()
            ]
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": self.start_time,
                }
            )
            status: Obj = {
                "phase": self.phase,
                "conditions": conditions,
                "hostIP": "127.0.0.1",
                "hostIPs": [{"ip": "127.0.0.1"}],
                "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}],
                "startTime": self.start_time,
                "qosClass": "BestEffort",
                "containerStatuses": [clone(s) for s in self.statuses.values()],
            }
            if self.init_statuses:
                status["initContainerStatuses"] = [clone(s) for s in self.init_statuses.values()]
            if self.reason:
                status["reason"] = self.reason
                status["message"] = "Pod was active on the node longer than the specified deadline"
            if status == self._published:
                return
            self._published = status
        pod_rt = self.api.resource("", "v1", "pods")

        def write(p: Obj) -> None:
            p["status"] = status

        try:
            if self.api.mutate(pod_rt, self.namespace, self.pod_name, write, "status") is None:
                self.stopping.set()
        except ApiError as exc:
            log.debug(
                "kubelet: status of %s/%s not written: %s",
                self.namespace,
                self.pod_name,
                exc.message,
            )

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

    def _event(self, event_type: str, reason: str, message: str) -> None:
        record_event(self.api, self.pod, "Pod", "v1", event_type, reason, message, "kubelet")


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
