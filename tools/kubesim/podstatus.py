"""The status half of a Pod run: container states, conditions, phase, and writing them."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .api import Api, DeleteOptions
from .clock import format_time
from .containers import (
    image_repository,
)
from .controller import record_event
from .errors import ApiError
from .strategies import clone

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)
Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


class PodStatus:
    """Builds and publishes the status of the Pod a :class:`~.podrun.PodRun` runs."""

    kubelet: Kubelet
    api: Api
    pod: Obj
    namespace: str
    pod_name: str
    spec: Obj
    statuses: dict[str, Obj]
    init_statuses: dict[str, Obj]
    conditions: dict[str, tuple[str, str]]
    phase: str
    reason: str | None
    start_time: str
    lost: bool
    stopping: threading.Event
    _lock: threading.Lock
    _published: Obj | None

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

    def _event(self, event_type: str, reason: str, message: str) -> None:
        record_event(self.api, self.pod, "Pod", "v1", event_type, reason, message, "kubelet")


def fail_and_force_delete(api: Api, pod: Obj, fail: Callable[[Obj], None]) -> None:
    """Write ``fail`` to a Pod's status unless it is terminal, then delete it with grace 0
    (guarded by its uid): the kubelet's final delete, and the pod GC's."""
    rt = api.resource("", "v1", "pods")
    m = pod["metadata"]
    try:
        if (pod.get("status") or {}).get("phase") not in TERMINAL:
            api.mutate(rt, m["namespace"], m["name"], fail, "status")
        api.delete(
            rt,
            m["namespace"],
            m["name"],
            DeleteOptions(grace_period_seconds=0, preconditions={"uid": m["uid"]}),
        )
    except ApiError as exc:
        if exc.code not in (404, 409):
            raise
