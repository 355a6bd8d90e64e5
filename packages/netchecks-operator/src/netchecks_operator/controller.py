"""The operator's controller: event handlers, ``reconcile`` and ``error_policy``.

Every event (an assertion, one of its children, its PolicyReport) only puts the
assertion's key on the queue. ``reconcile`` never depends on why it was woken: it
reads the caches, plans, applies. ``error_policy`` picks when to try again. The loop
around them (workers gated by leadership, resync, heartbeat, shutdown order) is the
shared runtime, :mod:`netchecks_service.controller`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import KIND
from netchecks_core.meta import metadata_of
from netchecks_core.times import now_rfc3339
from netchecks_service.controller import Controller
from netchecks_service.errors import KubeError, PermanentError, TemporaryError
from netchecks_service.informer import ObjectKey
from opentelemetry.metrics import CallbackOptions, Observation

from netchecks_operator import metrics
from netchecks_operator.apply import apply_plan, record_event, write_status
from netchecks_operator.caching import failed, is_scheduled_run, reported_job_uid
from netchecks_operator.events import EventRecorder
from netchecks_operator.kube import Cluster
from netchecks_operator.plan import plan
from netchecks_operator.plan_model import EventNote
from netchecks_operator.schedule import expected_interval
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.status import (
    RECONCILE_ERROR,
    epoch_seconds,
    error_status,
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


class OperatorController(Controller[ObjectKey]):
    """The operator's event handlers, :meth:`reconcile` and :meth:`error_policy`."""

    def __init__(
        self,
        settings: OperatorSettings,
        cluster: Cluster,
        events: EventRecorder | None = None,
        clock: Callable[[], str] = now_rfc3339,
    ) -> None:
        super().__init__(
            workers=settings.workers,
            resync_period=settings.resync_period,
            base_delay=0.1,
            max_delay=300.0,
            heartbeat_max_age=60.0,
        )
        self.settings = settings
        # Settings do not change while running: convert them once, not per reconcile.
        self.plan_settings = settings.plan_settings()
        self.cluster = cluster
        self.events = events or EventRecorder(cluster.record_event, settings.identity)
        self.clock = clock
        cluster.on_events("assertions", self._on_assertion)
        for kind in ("configmaps", "cronjobs", "reports"):
            cluster.on_events(kind, self._on_child)
        cluster.on_events("jobs", self._on_job)
        cluster.on_events("mountfailures", self._on_mount_failure)
        cluster.on_events("nodes", self._on_node)
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

    def _on_job(self, kind: str, job: dict[str, Any]) -> None:
        key = owner_key(job)
        if key is None:
            return
        if is_scheduled_run(job) and not failed(job):
            # The CronJob's runs change nothing the plan writes until their result is in
            # the report (whose event wakes the reconcile), they fail, or the run the
            # status shows is deleted: one reconcile and one status write per run.
            assertion = self.cluster.assertion(*key)
            if kind == "ADDED" and reported_job_uid(
                self.cluster.report(assertion) if assertion else None
            ) != metadata_of(job).get("uid"):
                return
            shown = ((assertion or {}).get("status") or {}).get("jobName")
            if kind == "DELETED" and shown != metadata_of(job).get("name"):
                return
        self.queue.add(key)

    def _on_mount_failure(self, kind: str, event: dict[str, Any]) -> None:
        pod = event.get("involvedObject") or {}
        job = self.cluster.job_of_pod(str(pod.get("namespace") or ""), str(pod.get("name") or ""))
        key = owner_key(job) if job is not None else None
        if key is not None:
            self.queue.add(key)

    def _on_node(self, kind: str, node: dict[str, Any]) -> None:
        # A node joining, leaving or changing matters to per-node assertions only; planning
        # them again reads caches only and writes nothing when nothing they use changed.
        for assertion in self.cluster.assertions():
            if (assertion.get("spec") or {}).get("placement"):
                meta = assertion["metadata"]
                self.queue.add((meta["namespace"], meta["name"]))

    def keys(self) -> Iterable[ObjectKey]:
        """Every cached assertion."""
        for assertion in self.cluster.assertions():
            meta = assertion["metadata"]
            yield (meta["namespace"], meta["name"])

    def processed(self, key: ObjectKey, result: str, reason: str, seconds: float) -> None:
        """Count the reconcile and its duration."""
        metrics.reconciles.add(1, {"result": result, "reason": reason})
        metrics.reconcile_duration.record(seconds)

    def reconcile(self, key: ObjectKey) -> str:
        """Bring one assertion's children and status in line; returns the outcome's reason."""
        assertion = self.cluster.assertion(*key)
        if assertion is None:
            return "Gone"  # deleted: owner references let the garbage collector clean up
        observed = self.cluster.observe(assertion)
        now = self.clock()
        desired = plan(observed, self.plan_settings, now)
        apply_plan(self.cluster, assertion, desired, self.events)
        if desired.requeue_after is not None:  # the next schedule time of a per-node run
            self.queue.add_after(key, desired.requeue_after)
        if desired.invalid:
            log.info("invalid spec: %s", "; ".join(desired.invalid))
            return "InvalidSpec"
        condition = previous_condition(desired.status)
        return str((condition or {}).get("reason") or "")

    def error_policy(self, key: ObjectKey, error: Exception) -> float:
        """Schedule the retry of a failed key; returns the delay. Shows lasting errors in status.

        A :class:`TemporaryError` is retried after its delay at the earliest; a
        :class:`PermanentError` (a name taken, an object refused) is shown in status at once
        and retried slowly, in case someone fixes it; anything else backs off, and is shown
        after :data:`FAILURES_BEFORE_STATUS` failures in a row.
        """
        if isinstance(error, TemporaryError):
            delay = self.queue.add_rate_limited(key, at_least=error.delay)
        elif isinstance(error, PermanentError):
            delay = self.queue.add_rate_limited(key, at_least=SLOW_RETRY)
        else:
            if not isinstance(error, KubeError):
                log.error("unexpected error", exc_info=error)
            delay = self.queue.add_rate_limited(key)
        lasting = isinstance(error, PermanentError)
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
