"""Nodes: the scheduler, node registration (Ready) and the pod GC for lost nodes.

- The **scheduler** binds each Pod without ``spec.nodeName`` to a feasible Node (see
  :mod:`tools.kubesim.scheduling`) and sets ``PodScheduled=True``. A Pod no Node can take
  stays Pending with ``PodScheduled=False`` (reason ``Unschedulable``) and a Warning event
  ``FailedScheduling``; it is retried whenever a Node changes, as the scheduler's queue
  moves unschedulable Pods back on Node events.
- **Registration**: a real Node is created by its kubelet, which then reports
  ``Ready=True``. A Node created through the API with no Ready condition gets one here,
  as if its kubelet had registered; a test may write ``Ready=False`` to ``/status``.
- **Pod GC** (kube-controller-manager's podgc ``gcOrphaned``): a Pod bound to a Node that
  does not exist is, after a quarantine (real: 40 s, ``Settings.podgc_quarantine``),
  marked ``Failed`` with condition ``DisruptionTarget`` (reason ``DeletionByPodGC``,
  message ``PodGC: node no longer exists``) and force-deleted (grace period 0).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .api import Api
from .clock import Clock, format_time
from .controller import Controller
from .podstatus import TERMINAL, fail_and_force_delete
from .scheduling import pick_node, unschedulable_message
from .settings import Settings
from .storage import Event
from .strategies import clone

Obj = dict[str, Any]
PODS = ("", "pods")
NODES = ("", "nodes")


def default_node(name: str, now: str) -> Obj:
    """The Node a kubelet registers: hostname/os/arch labels and Ready=True."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
        },
        "spec": {},
        "status": {"conditions": [ready_condition(now)]},
    }


def ready_condition(now: str) -> Obj:
    return {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }


def _has_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" for c in conditions)


class Scheduler(Controller):
    """Binds unscheduled Pods to Nodes; keys: ("pod", ns, name) and ("retry",)."""

    name = "default-scheduler"

    def __init__(self, api: Api, clock: Clock) -> None:
        super().__init__(api)
        self.clock = clock
        self.reported: dict[str, str] = {}

    def on_event(self, event: Event) -> None:
        if event.key == NODES and event.type != "DELETED":
            self.enqueue(("retry",))
        elif event.key == PODS and event.type != "DELETED":
            pod = event.obj
            if not (pod.get("spec") or {}).get("nodeName"):
                self.enqueue(("pod", pod["metadata"]["namespace"], pod["metadata"]["name"]))
        elif event.key == PODS:
            self.reported.pop(event.obj["metadata"]["uid"], None)

    def resync(self) -> None:
        self.enqueue(("retry",))

    def reconcile(self, key: Any) -> float | None:
        if key[0] == "retry":
            for pod in self.api.store.list(PODS):
                if not (pod.get("spec") or {}).get("nodeName"):
                    self._schedule(pod["metadata"]["namespace"], pod["metadata"]["name"])
            return None
        self._schedule(key[1], key[2])
        return None

    def _load(self) -> dict[str, int]:
        pods = self.api.store.list(PODS)
        return Counter(
            p["spec"]["nodeName"]
            for p in pods
            if (p.get("spec") or {}).get("nodeName")
            and (p.get("status") or {}).get("phase") not in TERMINAL
        )

    def _schedule(self, namespace: str, name: str) -> None:
        store = self.api.store
        with store.lock:
            current = store.get(PODS, namespace, name)
            if current is None or (current.get("spec") or {}).get("nodeName"):
                return
            if current["metadata"].get("deletionTimestamp"):
                return
            chosen, reasons = pick_node(current["spec"], store.list(NODES), self._load())
            new = clone(current)
            now = format_time(self.clock.now())
            if chosen is not None:
                new["spec"]["nodeName"] = chosen
                _set_scheduled(new, {"status": "True"}, now)
                store.update(PODS, new, current)
                return
            message = unschedulable_message(reasons)
            _set_scheduled(
                new, {"status": "False", "reason": "Unschedulable", "message": message}, now
            )
            if new != current:
                store.update(PODS, new, current)
        self._report(current, message)

    def _report(self, pod: Obj, message: str) -> None:
        uid = pod["metadata"]["uid"]
        if self.reported.get(uid) == message:
            return
        self.reported[uid] = message
        self.record_event(pod, "Pod", "v1", "Warning", "FailedScheduling", message)


def _set_scheduled(pod: Obj, fields: Obj, now: str) -> None:
    """Write the PodScheduled condition, keeping its transition time when unchanged."""
    conditions = pod.setdefault("status", {}).setdefault("conditions", [])
    old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
    cond = {"type": "PodScheduled", "lastProbeTime": None, **fields}
    same = old is not None and old.get("status") == fields["status"]
    cond["lastTransitionTime"] = old.get("lastTransitionTime") if same and old else now
    if old is not None:
        conditions[conditions.index(old)] = cond
    else:
        conditions.insert(0, cond)
    pod["status"].setdefault("phase", "Pending")


class NodeLifecycle(Controller):
    """Registers new Nodes as Ready and garbage-collects Pods of Nodes that are gone."""

    name = "pod-garbage-collector"

    def __init__(self, api: Api, settings: Settings, clock: Clock) -> None:
        super().__init__(api)
        self.settings = settings
        self.clock = clock

    def on_event(self, event: Event) -> None:
        if event.key == NODES and event.type == "ADDED":
            self.enqueue(("register", event.obj["metadata"]["name"]))
            return
        node_gone = event.key == NODES and event.type == "DELETED"
        pod_added = event.key == PODS and event.type == "ADDED"
        bound_pod = pod_added and bool(event.obj["spec"].get("nodeName"))
        if node_gone or bound_pod:
            self.enqueue(("orphans",), self.settings.podgc_quarantine)

    def resync(self) -> None:
        self.enqueue(("orphans",), self.settings.podgc_quarantine)

    def reconcile(self, key: Any) -> float | None:
        if key[0] == "register":
            self._register(key[1])
        else:
            self._collect_orphans()
        return None

    def _register(self, name: str) -> None:
        now = format_time(self.clock.now())

        def ready(node: Obj) -> None:
            if not _has_ready(node):
                node.setdefault("status", {}).setdefault("conditions", []).append(
                    ready_condition(now)
                )

        self.api.mutate(self.api.resource("", "v1", "nodes"), None, name, ready, "status")

    def _collect_orphans(self) -> None:
        store = self.api.store
        with store.lock:
            nodes = {n["metadata"]["name"] for n in store.list(NODES)}
            orphans = [
                p for p in store.list(PODS) if p["spec"].get("nodeName") not in (None, *nodes)
            ]
        for pod in orphans:
            self._fail_and_delete(pod)

    def _fail_and_delete(self, pod: Obj) -> None:
        now = format_time(self.clock.now())

        def fail(p: Obj) -> None:
            status = p.setdefault("status", {})
            status["phase"] = "Failed"
            conditions = status.get("conditions") or []
            conditions = [c for c in conditions if c["type"] != "DisruptionTarget"]
            conditions.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "reason": "DeletionByPodGC",
                    "message": "PodGC: node no longer exists",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                }
            )
            status["conditions"] = conditions

        # Terminating or not: only a terminal Pod is left as it is (podgc's
        # markFailedAndDeletePodWithCondition).
        fail_and_force_delete(self.api, pod, fail)
