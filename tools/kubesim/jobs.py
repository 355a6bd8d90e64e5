"""The Job controller (batch/v1): pods, tracking finalizers, status, conditions, TTL."""

from __future__ import annotations

import time
from typing import Any

from .api import Api, DeleteOptions
from .clock import Clock, format_time, parse_time
from .controller import Controller, controller_ref, owner_controller
from .errors import ApiError
from .settings import Settings
from .storage import Event
from .strategies import TRACKING_FINALIZER, clone

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")
INDEX_KEY = "batch.kubernetes.io/job-completion-index"


def _index_of(pod: Obj) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    return int(value) if value is not None and str(value).isdigit() else None


def _parse_indexes(text: str) -> list[int]:
    out: list[int] = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        out += list(range(int(low), int(high or low) + 1))
    return out


def _format_indexes(indexes: set[int]) -> str:
    """``completedIndexes``: sorted, with runs compressed (``0-2,4``)."""
    ordered, parts = sorted(indexes), []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def condition(obj: Obj, kind: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return dict(cond)
    return None


def is_finished(job: Obj) -> bool:
    return condition(job, "Complete") is not None or condition(job, "Failed") is not None


#: Reason and message of the SuccessCriteriaMet and Complete conditions.
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")


class JobController(Controller):
    """Runs Jobs' pods to completion the way kube-controller-manager does (NonIndexed)."""

    name = "job-controller"

    def __init__(self, api: Api, settings: Settings, clock: Clock) -> None:
        super().__init__(api)
        self.settings = settings
        self.clock = clock
        self._last_failure: dict[str, float] = {}

    def on_event(self, event: Event) -> None:
        delay = self.settings.job_controller_delay
        m = event.obj["metadata"]
        if event.key == ("batch", "jobs"):
            self.enqueue(("job", m.get("namespace", ""), m["name"]), delay)
        elif event.key == ("", "pods"):
            ref = owner_controller(event.obj, "Job")
            if ref is not None:
                self.enqueue(("job", m.get("namespace", ""), ref["name"]), delay)
            if TRACKING_FINALIZER in (m.get("finalizers") or []):
                self.enqueue(("pod", m.get("namespace", ""), m["name"]), delay)

    def resync(self) -> None:
        for job in self.api.store.list(("batch", "jobs")):
            self.enqueue(("job", job["metadata"]["namespace"], job["metadata"]["name"]))

    def reconcile(self, item: Any) -> float | None:
        kind, namespace, name = item
        if kind == "pod":
            return self._orphan_pod(namespace, name)
        return self._sync(namespace, name)

    # -- pods whose Job is gone --------------------------------------------------------

    def _orphan_pod(self, namespace: str, name: str) -> float | None:
        pod_rt = self.api.resource("", "v1", "pods")
        pod = self.api.find(pod_rt, namespace, name)
        if pod is None:
            return None
        ref = owner_controller(pod, "Job")
        owner = self.api.store.by_uid(ref["uid"]) if ref else None
        if owner is None or owner[1]["metadata"].get("deletionTimestamp"):
            self._drop_finalizer(pod)
        return None

    def _drop_finalizer(self, pod: Obj) -> None:
        pod_rt = self.api.resource("", "v1", "pods")

        def drop(p: Obj) -> None:
            p["metadata"]["finalizers"] = [
                f for f in p["metadata"].get("finalizers") or [] if f != TRACKING_FINALIZER
            ]

        self.api.mutate(pod_rt, pod["metadata"]["namespace"], pod["metadata"]["name"], drop)

    # -- the sync ----------------------------------------------------------------------

    def _pods(self, job: Obj) -> list[Obj]:
        uid = job["metadata"]["uid"]
        return [
            p
            for key, p in self.api.store.dependents(uid)
            if key == ("", "pods") and (owner_controller(p, "Job") or {}).get("uid") == uid
        ]

    def _count_finished(
        self, job: Obj, tracked: list[Obj], status: Obj
    ) -> tuple[list[Obj], list[Obj]]:
        """Count the tracked Pods that finished into ``status``; returns (succeeded, failed)."""
        newly_ok = [p for p in tracked if p["status"].get("phase") == "Succeeded"]
        newly_failed = [
            p
            for p in tracked
            if p["status"].get("phase") == "Failed"
            or (p["status"].get("phase") == "Unknown" and p["metadata"].get("deletionTimestamp"))
        ]
        if newly_failed:
            self._last_failure[job["metadata"]["uid"]] = time.monotonic()
        status["succeeded"] = int(status.get("succeeded", 0)) + len(newly_ok)
        if job["spec"].get("completionMode") == "Indexed":
            done = set(_parse_indexes(status.get("completedIndexes", "")))
            done |= {i for i in (_index_of(p) for p in newly_ok) if i is not None}
            status["completedIndexes"] = _format_indexes(done)
            status["succeeded"] = len(done)
        status["failed"] = int(status.get("failed", 0)) + len(newly_failed)
        return newly_ok, newly_failed

    def _scale_up(
        self,
        job: Obj,
        status: Obj,
        active: list[Obj],
        terminating: list[Obj],
        events: list[tuple[str, str, str]],
    ) -> float | None:
        """Create the missing Pods (into ``active``); the back-off left, if it holds them."""
        spec = job["spec"]
        completions = spec.get("completions")
        want = int(spec.get("parallelism", 1))
        if completions is not None:
            want = min(want, completions - status["succeeded"])
        missing = want - len(active) - len(terminating)
        wait = self._backoff_left(job["metadata"]["uid"], status["failed"])
        if missing > 0 and wait > 0:
            return wait
        if missing > 0:
            indexes: list[int | None] = [None] * missing
            if spec.get("completionMode") == "Indexed":
                busy = set(_parse_indexes(status.get("completedIndexes", "")))
                busy |= {i for i in map(_index_of, active + terminating) if i is not None}
                free = [i for i in range(completions or 0) if i not in busy]
                indexes = list(free[:missing])
            for index in indexes:
                created = self._create_pod(job, index)
                if created is not None:
                    active.append(created)
                    events.append(
                        (
                            "Normal",
                            "SuccessfulCreate",
                            f"Created pod: {created['metadata']['name']}",
                        )
                    )
        return None

    def _sync(self, namespace: str, name: str) -> float | None:
        job_rt = self.api.resource("batch", "v1", "jobs")
        job = self.api.find(job_rt, namespace, name)
        if job is None:
            return None
        pods = self._pods(job)
        tracked = [p for p in pods if TRACKING_FINALIZER in (p["metadata"].get("finalizers") or [])]
        if job["metadata"].get("deletionTimestamp") or is_finished(job):
            for pod in tracked:
                self._drop_finalizer(pod)
            return self._ttl(job) if is_finished(job) else None
        spec, now = job["spec"], self.clock.now()
        status = clone(job.get("status") or {})
        newly_ok, newly_failed = self._count_finished(job, tracked, status)
        live = [
            p for p in pods if p["status"].get("phase") not in TERMINAL and p not in newly_failed
        ]
        active = [p for p in live if not p["metadata"].get("deletionTimestamp")]
        terminating = [p for p in live if p["metadata"].get("deletionTimestamp")]
        suspended = bool(spec.get("suspend"))
        events: list[tuple[str, str, str]] = []
        if not status.get("startTime") and not suspended:
            status["startTime"] = format_time(now)
        conditions = status.setdefault("conditions", [])
        completions = spec.get("completions")
        failure, requeue = _failure(spec, status, now)
        success = (completions is not None and status["succeeded"] >= completions) or (
            completions is None and status["succeeded"] > 0 and not active
        )
        if failure is not None:
            set_condition(conditions, "FailureTarget", failure[0], failure[1], now)
            self._delete_pods(active)
            if not active and not terminating:
                set_condition(conditions, "Failed", failure[0], failure[1], now)
                events.append(("Warning", failure[0], failure[1]))
        elif success or _find(conditions, "SuccessCriteriaMet"):
            set_condition(conditions, "SuccessCriteriaMet", *COMPLETIONS_REACHED, now)
            self._delete_pods(active)
            if not active and not terminating:
                set_condition(conditions, "Complete", *COMPLETIONS_REACHED, now)
                status.setdefault("completionTime", format_time(now))
                events.append(("Normal", "Completed", "Job completed"))
        elif suspended:
            self._delete_pods(active)
            if _find(conditions, "Suspended") is None:
                set_condition(conditions, "Suspended", "JobSuspended", "Job suspended", now)
                events.append(("Normal", "Suspended", "Job suspended"))
            status.pop("startTime", None)
        else:
            if _find(conditions, "Suspended") is not None:
                conditions[:] = [c for c in conditions if c["type"] != "Suspended"]
                events.append(("Normal", "Resumed", "Job resumed"))
            wait = self._scale_up(job, status, active, terminating, events)
            if wait is not None:
                requeue = wait if requeue is None else min(requeue, wait)
        if not conditions:
            status.pop("conditions")
        finished = _find(conditions, "Complete") or _find(conditions, "Failed")
        status["active"] = 0 if finished else len(active)
        status["ready"] = 0 if finished else sum(1 for p in active if _ready(p))
        status["terminating"] = len(terminating)
        status["uncountedTerminatedPods"] = {}
        if status != (job.get("status") or {}):
            self.api.mutate(
                job_rt, namespace, name, lambda j: j.__setitem__("status", status), "status"
            )
        for pod in newly_ok + newly_failed:
            self._drop_finalizer(pod)
        for event_type, reason, message in events:
            self.record_event(job, "Job", "batch/v1", event_type, reason, message)
        if finished:
            return self._ttl(self.api.find(job_rt, namespace, name) or job)
        return requeue

    def _backoff_left(self, uid: str, failed: int) -> float:
        if failed <= 0 or self.settings.job_backoff_base <= 0:
            return 0.0
        delay = min(
            self.settings.job_backoff_base * 2 ** (failed - 1), self.settings.job_backoff_max
        )
        last = self._last_failure.get(uid)
        return 0.0 if last is None else max(0.0, last + delay - time.monotonic())

    def _create_pod(self, job: Obj, index: int | None = None) -> Obj | None:
        template = clone(job["spec"].get("template") or {})
        meta = template.get("metadata") or {}
        prefix = job["metadata"]["name"] + ("" if index is None else f"-{index}")
        if index is not None:
            meta.setdefault("annotations", {})[INDEX_KEY] = str(index)
            meta.setdefault("labels", {})[INDEX_KEY] = str(index)
            env = {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_KEY}']"}},
            }
            for container in (template.get("spec") or {}).get("containers") or []:
                container.setdefault("env", []).insert(0, env)
        body = {
            "metadata": {
                "generateName": f"{prefix}-",
                "labels": meta.get("labels") or {},
                "annotations": meta.get("annotations") or {},
                "ownerReferences": [controller_ref(job, "Job", "batch/v1")],
                "finalizers": [TRACKING_FINALIZER],
            },
            "spec": template.get("spec") or {},
        }
        if not body["metadata"]["annotations"]:
            del body["metadata"]["annotations"]
        try:
            return self.api.create(
                self.api.resource("", "v1", "pods"), job["metadata"]["namespace"], body
            )
        except ApiError as exc:
            self.record_event(
                job, "Job", "batch/v1", "Warning", "FailedCreate", f"Error creating: {exc.message}"
            )
            return None

    def _delete_pods(self, pods: list[Obj]) -> None:
        pod_rt = self.api.resource("", "v1", "pods")
        for pod in pods:
            try:
                self.api.delete(
                    pod_rt,
                    pod["metadata"]["namespace"],
                    pod["metadata"]["name"],
                    DeleteOptions(propagation_policy="Background"),
                )
            except ApiError as exc:
                if exc.code != 404:
                    raise

    def _ttl(self, job: Obj) -> float | None:
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        status = job.get("status") or {}
        finished = status.get("completionTime") or (condition(job, "Failed") or {}).get(
            "lastTransitionTime"
        )
        if not finished:
            return None
        left = float(ttl) - (self.clock.now() - parse_time(finished)).total_seconds()
        if left > 0:
            return left
        job_rt = self.api.resource("batch", "v1", "jobs")
        try:
            self.api.delete(
                job_rt,
                job["metadata"]["namespace"],
                job["metadata"]["name"],
                DeleteOptions(
                    propagation_policy="Background", preconditions={"uid": job["metadata"]["uid"]}
                ),
            )
        except ApiError as exc:
            if exc.code not in (404, 409):
                raise
        return None


def _find(conditions: list[Obj], kind: str) -> Obj | None:
    return next((c for c in conditions if c["type"] == kind and c["status"] == "True"), None)


def set_condition(conditions: list[Obj], kind: str, reason: str, message: str, now: Any) -> None:
    """Add a True condition of ``kind`` to a Job status's ``conditions`` (once)."""
    if _find(conditions, kind) is not None:
        return
    stamp = format_time(now)
    conditions.append(
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
        }
    )


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _failure(spec: Obj, status: Obj, now: Any) -> tuple[tuple[str, str] | None, float | None]:
    """Why the Job fails (reason, message), if it does; and when its deadline comes."""
    failure: tuple[str, str] | None = None
    requeue: float | None = None
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and status.get("startTime"):
        left = deadline - (now - parse_time(status["startTime"])).total_seconds()
        if left <= 0:
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
        else:
            requeue = left
    if failure is None and status["failed"] > int(spec.get("backoffLimit", 6)):
        failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    target = _find(status.get("conditions") or [], "FailureTarget")
    if target is not None:
        failure = (target["reason"], target["message"])
    return failure, requeue
