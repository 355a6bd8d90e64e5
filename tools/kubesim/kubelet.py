"""A kubelet that runs Pods' containers as local processes (one :class:`PodRun` each).

Each container's ``command`` + ``args`` run as a subprocess with the container's env,
its volumes materialised under the work directory, and container paths mapped onto
them (see :mod:`tools.kubesim.volumes` and README). stdout and stderr are merged into
the container log; the exit code lands in the container status.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .api import Api
from .clock import Clock
from .containers import (
    effective_mount_mode,
)
from .controller import Controller
from .faults import Faults
from .oom import MemoryLimits
from .podlogs import LogStore
from .podrun import PodRun
from .podstatus import TERMINAL, fail_and_force_delete
from .settings import Settings
from .storage import Event

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class Kubelet(Controller):
    """The kubelets of every Node: runs each Pod bound to an existing Node.

    A Pod bound to a Node that does not exist stays Pending (no kubelet will run it; the
    pod GC removes it). Deleting a Node kills its Pods' processes without a word, as a
    vanished machine does.
    """

    name = "kubelet"

    def __init__(
        self, api: Api, settings: Settings, clock: Clock, work_dir: Path, faults: Faults
    ) -> None:
        super().__init__(api)
        self.settings = settings
        self.clock = clock
        self.work_dir = work_dir
        self.faults = faults
        self.logs = LogStore(api, faults, settings.container_log_max_size)
        self.runs: dict[str, PodRun] = {}
        self.kubeconfig: Path | None = None
        self.memory = MemoryLimits(settings.memory_enforcement, f"{os.getpid()}-{id(self):x}")
        self.lost: set[str] = set()
        self._lock = threading.Lock()

    @functools.cached_property
    def mount_mode(self) -> str:
        """The mount mode in effect, probed on the first Pod with volumes (it runs ``unshare``)."""
        return effective_mount_mode(self.settings.mount_mode)

    def on_event(self, event: Event) -> None:
        if event.key == ("", "nodes"):
            self.enqueue(("node", event.type, event.obj["metadata"]["name"]))
            return
        if event.key != ("", "pods"):
            return
        m = event.obj["metadata"]
        if event.type == "DELETED":
            self.enqueue(("gone", m["uid"]))
        else:
            self.enqueue(("pod", m["namespace"], m["name"]))

    def reconcile(self, item: Any) -> float | None:
        if item[0] == "node":
            self._node_changed(item[1], item[2])
            return None
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
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name or self.api.find(self._nodes_rt, None, node_name) is None:
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

    @property
    def _nodes_rt(self) -> Any:
        return self.api.resource("", "v1", "nodes")

    def _node_changed(self, event_type: str, node_name: str) -> None:
        """A new Node's kubelet picks up Pods already bound to it; a deleted Node's Pods
        die with it."""
        bound = [
            p
            for p in self.api.store.list(("", "pods"))
            if (p.get("spec") or {}).get("nodeName") == node_name
        ]
        for pod in bound:
            m = pod["metadata"]
            if event_type == "DELETED":
                self._lose_uid(m["uid"])
            elif event_type == "ADDED":
                self.enqueue(("pod", m["namespace"], m["name"]))

    def _final_delete(self, pod: Obj) -> None:
        def fail(p: Obj) -> None:
            p.setdefault("status", {})["phase"] = "Failed"

        fail_and_force_delete(self.api, pod, fail)

    def lose(self, namespace: str, name: str) -> None:
        """Forget a Pod as if its node vanished: SIGKILL, no more status, no final delete."""
        pod = self.api.get(self.api.resource("", "v1", "pods"), namespace, name)
        self._lose_uid(pod["metadata"]["uid"])

    def _lose_uid(self, uid: str) -> None:
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


__all__ = ["TERMINAL", "Kubelet", "PodRun", "effective_mount_mode"]
