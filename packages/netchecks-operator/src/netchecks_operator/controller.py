"""The control loop: watch events -> work queue -> reconcile -> error policy.

Every event (an assertion, one of its children, its PolicyReport) only puts the
assertion's key on the queue; workers reconcile keys one at a time per key.
``reconcile`` never depends on why it was woken: it reads the caches, plans,
applies. ``error_policy`` picks when to try again. Workers only take keys while
this replica leads; a periodic resync re-queues everything as a safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import KIND
from netchecks_service.errors import ConflictError, InvalidError, KubeError, TransientError
from netchecks_service.health import Heartbeat
from netchecks_service.informer import ObjectKey
from netchecks_service.logs import object_context
from netchecks_service.workqueue import WorkQueue
from opentelemetry.metrics import CallbackOptions, Observation

from netchecks_operator import metrics
from netchecks_operator.apply import apply_plan, record_event, write_status
from netchecks_operator.events import EventRecorder
from netchecks_operator.kube import Cluster
from netchecks_operator.plan import EventNote, NameTakenError, error_status, plan
from netchecks_operator.schedule import expected_interval
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.status import (
    RECONCILE_ERROR,
    epoch_seconds,
    now_rfc3339,
    previous_condition,
)

log = logging.getLogger(__name__)

#: After this many failures in a row, the error is shown in the assertion's status.
FAILURES_BEFORE_STATUS = 3
#: Retry delay floor for errors retrying cannot fix soon (a taken name, a refused object).
SLOW_RETRY = 30.0


def owner_key(obj: dict[str, Any]) -> ObjectKey | None:
    """The key of the assertion an object belongs to (owner reference, else annotation)."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == KIND and ref.get("controller", True):
            return (namespace, ref["name"])
    name = (meta.get("annotations") or {}).get(naming.ANNOTATION_ASSERTION)
    return (namespace, name) if name else None


class Controller:
    """Queue, workers, resync and leadership gating around :func:`reconcile`."""

    def __init__(
        self,
        settings: OperatorSettings,
        cluster: Cluster,
        events: EventRecorder | None = None,
        clock: Callable[[], str] = now_rfc3339,
    ) -> None:
        self.settings = settings
        self.cluster = cluster
        self.events = events or EventRecorder(cluster.record_event, settings.identity)
        self.clock = clock
        self.queue: WorkQueue[ObjectKey] = WorkQueue(base_delay=0.1, max_delay=300.0)
        self.leading = threading.Event()
        self.stop = threading.Event()
        self.heartbeat = Heartbeat(max_age=60.0)
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        cluster.on_events("assertions", self._on_assertion)
        for kind in ("configmaps", "cronjobs", "jobs", "reports"):
            cluster.on_events(kind, self._on_child)
        cluster.on_events("mountfailures", self._on_mount_failure)
        metrics.meter.create_observable_gauge(
            "netchecks.operator.queue.depth",
            [self._observe_queue],
            unit="{key}",
            description="Assertions waiting to be reconciled (now or after a back-off)",
        )
        metrics.meter.create_observable_gauge(
            "netchecks.operator.assertions",
            [self._observe_states],
            unit="{assertion}",
            description="Assertions by the reason of their Reconciled condition",
        )
        metrics.meter.create_observable_gauge(
            "netchecks.operator.assertion.schedule.interval",
            [self._observe_schedules],
            unit="s",
            description="Longest time between two runs of each scheduled assertion",
        )
        metrics.meter.create_observable_gauge(
            "netchecks.operator.assertion.scheduled_since.timestamp",
            [self._observe_scheduled_since],
            unit="s",
            description="When each scheduled assertion's CronJob was created (epoch seconds)",
        )

    # -- events -> queue ---------------------------------------------------------------------

    def _on_assertion(self, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        if kind != "DELETED":
            self.queue.add((meta.get("namespace") or "", meta.get("name") or ""))

    def _on_child(self, kind: str, obj: dict[str, Any]) -> None:
        key = owner_key(obj)
        if key is not None:
            self.queue.add(key)

    def _on_mount_failure(self, kind: str, event: dict[str, Any]) -> None:
        pod = event.get("involvedObject") or {}
        job = self.cluster.job_of_pod(str(pod.get("namespace") or ""), str(pod.get("name") or ""))
        key = owner_key(job) if job is not None else None
        if key is not None:
            self.queue.add(key)

    def enqueue_all(self) -> None:
        """Queue every cached assertion (on leadership and at each resync)."""
        for assertion in self.cluster.assertions():
            meta = assertion["metadata"]
            self.queue.add((meta["namespace"], meta["name"]))

    # -- leadership ------------------------------------------------------------------------

    def start_leading(self) -> None:
        """This replica now leads: work through every assertion."""
        self.leading.set()
        self.enqueue_all()

    def stop_leading(self) -> None:
        """Another replica leads (or this one stops): take no more keys."""
        self.leading.clear()

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the resync loop."""
        for index in range(self.settings.workers):
            thread = threading.Thread(target=self._work, name=f"worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        resync = threading.Thread(target=self._resync, name="resync", daemon=True)
        resync.start()
        self._threads.append(resync)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop taking keys and wait for reconciles in progress to finish."""
        self.stop.set()
        self.queue.shutdown()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def alive(self) -> bool:
        """Liveness: the workers' loop turns (or is busy with a reconcile)."""
        return self.heartbeat.fresh() or self._busy > 0

    def _resync(self) -> None:
        while not self.stop.wait(self.settings.resync_period):
            if self.leading.is_set():
                self.enqueue_all()

    def _work(self) -> None:
        while not self.stop.is_set():
            self.heartbeat.beat()
            if not self.leading.wait(1.0):
                continue
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                if self.leading.is_set():
                    self.process(key)
                else:
                    self.queue.add(key)  # picked up again once this replica leads
            finally:
                with self._busy_lock:
                    self._busy -= 1
                self.queue.done(key)

    def process(self, key: ObjectKey) -> None:
        """Reconcile one key; on failure, let :meth:`error_policy` schedule the retry."""
        start = time.perf_counter()
        result, reason = "ok", ""
        with object_context(*key):
            try:
                reason = self.reconcile(key)
                self.queue.forget(key)
            except Exception as error:  # noqa: BLE001 - the loop boundary: every failure is retried
                result, reason = "error", type(error).__name__
                delay = self.error_policy(key, error)
                log.warning("reconcile failed (%s); retrying in %.2fs", error, delay)
            finally:
                metrics.reconciles.add(1, {"result": result, "reason": reason})
                metrics.reconcile_duration.record(time.perf_counter() - start)

    def reconcile(self, key: ObjectKey) -> str:
        """Bring one assertion's children and status in line; returns the outcome's reason."""
        assertion = self.cluster.assertion(*key)
        if assertion is None:
            return "Gone"  # deleted: owner references let the garbage collector clean up
        observed = self.cluster.observe(assertion)
        now = self.clock()
        desired = plan(assertion, observed, self.settings, now)
        apply_plan(self.cluster, assertion, desired, self.events)
        if desired.invalid:
            log.info("invalid spec: %s", "; ".join(desired.invalid))
            return "InvalidSpec"
        condition = previous_condition(desired.status)
        return str((condition or {}).get("reason") or "")

    def error_policy(self, key: ObjectKey, error: Exception) -> float:
        """Schedule the retry of a failed key; returns the delay. Shows lasting errors in status."""
        if isinstance(error, ConflictError | TransientError):
            retry_after = error.retry_after or 0.0
            delay = self.queue.add_rate_limited(key, at_least=retry_after)
        elif isinstance(error, NameTakenError | InvalidError):
            delay = self.queue.add_rate_limited(key, at_least=SLOW_RETRY)
        else:
            if not isinstance(error, KubeError):
                log.error("unexpected error", exc_info=error)
            delay = self.queue.add_rate_limited(key)
        lasting = isinstance(error, NameTakenError | InvalidError)
        if lasting or self.queue.failures(key) >= FAILURES_BEFORE_STATUS:
            self._show_error(key, error)
        return delay

    def _show_error(self, key: ObjectKey, error: Exception) -> None:
        assertion = self.cluster.assertion(*key)
        if assertion is None:
            return
        message = str(error)
        try:
            write_status(self.cluster, assertion, error_status(assertion, message, self.clock()))
        except KubeError as status_error:
            log.warning("could not write the error to status: %s", status_error)
        record_event(self.events, assertion, EventNote("Warning", RECONCILE_ERROR, message))

    # -- metrics ---------------------------------------------------------------------------

    def _observe_queue(self, _options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(self.queue.pending())

    def _observe_states(self, _options: CallbackOptions) -> Iterable[Observation]:
        counts: dict[str, int] = {}
        for assertion in self.cluster.assertions():
            reason = (previous_condition(assertion.get("status")) or {}).get("reason") or "New"
            counts[reason] = counts.get(reason, 0) + 1
        for reason, count in counts.items():
            yield Observation(count, {"reason": reason})

    def _schedules(self) -> Iterable[tuple[dict[str, str], float, dict[str, Any]]]:
        """(labels, expected interval, assertion) of every valid scheduled assertion."""
        for assertion in self.cluster.assertions():
            meta = assertion.get("metadata") or {}
            schedule = (assertion.get("spec") or {}).get("schedule")
            reason = (previous_condition(assertion.get("status")) or {}).get("reason")
            if not isinstance(schedule, str) or reason == "InvalidSpec":
                continue  # one-shot assertions are never late; invalid ones never run
            interval = expected_interval(schedule)
            if interval is not None and not meta.get("deletionTimestamp"):
                labels = {"namespace": meta.get("namespace", ""), "assertion": meta.get("name", "")}
                yield labels, interval, assertion

    def _observe_schedules(self, _options: CallbackOptions) -> Iterable[Observation]:
        for labels, interval, _assertion in self._schedules():
            yield Observation(interval, labels)

    def _observe_scheduled_since(self, _options: CallbackOptions) -> Iterable[Observation]:
        for labels, _interval, assertion in self._schedules():
            cronjob = self.cluster.cronjob(assertion)
            created = epoch_seconds(
                ((cronjob or {}).get("metadata") or {}).get("creationTimestamp")
            )
            if created is not None:
                yield Observation(created, labels)
