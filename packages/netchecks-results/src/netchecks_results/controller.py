"""Finished probe Pods -> current PolicyReports: watch -> queue -> reconcile.

Informers cache probe Pods, the operator's Jobs and CronJobs, NetworkAssertions and
our reports, so a reconcile usually costs only the log read and the report write.
Only Pods whose controller chain reaches the assertion count as runs
(:mod:`netchecks_results.trust`); others are counted and ignored. The work
queue is keyed by assertion (namespace, uid): a burst of Pods of one assertion
is handled once, from its newest finished run. ``reconcile`` never depends on
why it was woken; it compares the newest run with the report's marker
annotations (:func:`netchecks_results.publish.decide`), which makes it
idempotent and restart-safe: a Pod already reflected is skipped, one missed
while the service was down is found by the informers' initial list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from netchecks_core.meta import annotations_of
from netchecks_core.naming import ANNOTATION_ASSERTION, policy_report_name
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.resources import Resource
from netchecks_service.controller import Controller
from netchecks_service.errors import (
    KubeError,
    NotFoundError,
    PermanentError,
    TemporaryError,
)
from netchecks_service.kube import KubeApi
from netchecks_service.logs import object_context

from netchecks_results.errors import LogNotReadyError
from netchecks_results.kube import AssertionKey, ResultsCaches, ResultsKube, assertion_key
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.noderuns import (
    gone,
    newest_pod_run,
    no_pod_failure,
    node_of,
    pod_may_be_in_flight,
    run_jobs,
    run_marker,
    settled,
)
from netchecks_results.parse import ParseFailure, parse_log
from netchecks_results.publish import Decision, decide, write_report
from netchecks_results.report import NodeOutcome, build_node_report, build_policy_report
from netchecks_results.runs import ProbeRun, RunFailure, describe_failure, probe_run, with_job
from netchecks_results.settings import ResultsSettings
from netchecks_results.trust import Provenance, UntrustedReason, trace
from netchecks_results.untrusted import UntrustedPods
from netchecks_results.written import ReportRecorder

log = logging.getLogger(__name__)

Key = AssertionKey  # namespace, assertion uid
#: How long after a Pod finished a missing Job is taken for watch lag, not forgery.
OWNER_GRACE_SECONDS = 10.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ResultsController(Controller[Key]):
    """The results service's event handlers, :meth:`reconcile` and :meth:`error_policy`."""

    def __init__(
        self,
        settings: ResultsSettings,
        api: KubeApi,
        metrics: ResultsMetrics,
        *,
        clock: Clock = _utcnow,
    ) -> None:
        super().__init__(
            workers=settings.workers,
            resync_period=settings.resync_period,
            base_delay=0.5,
            max_delay=60.0,
            heartbeat_max_age=90.0,
        )
        self.settings = settings
        self.kube = ResultsKube(api, settings.identity)
        self.metrics = metrics
        self.clock = clock
        self.recorder = ReportRecorder(self.kube, metrics, clock, events=settings.events)
        self.untrusted = UntrustedPods(metrics.untrusted_pods)
        self.caches = ResultsCaches(
            api, list(settings.namespaces), settings.apis, settings.watch_timeout
        )
        self.caches.pods.add_handler(self._on_pod)
        self.caches.on_owner_events(self._on_owner)
        self.caches.assertions.add_handler(self._on_assertion)

    # -- events -> queue ---------------------------------------------------------------------

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        key = assertion_key(pod)
        run = probe_run(pod)
        if key is None or kind == "DELETED" or run is None or not run.done:
            return
        if not self._reflected(run):  # a run already in the report needs no second pass
            self.queue.add(key)

    def _reflected(self, run: ProbeRun) -> bool:
        """Whether every cached report of the run's assertion already shows this Pod."""
        if not run.assertion_name:
            return False
        name = policy_report_name(run.assertion_name)
        return all(
            decide(run, self.caches.reports[api].get(run.namespace, name)) == "reflected"
            for api in self.settings.apis
        )

    def _requeue(self, key: Key) -> None:
        if self.caches.pods_of(key):
            self.queue.add(key)

    def _on_owner(self, kind: str, obj: dict[str, Any]) -> None:
        # A run's Job or CronJob may reach the cache after its Pod finished: look again.
        key = assertion_key(obj)
        if key is not None and kind != "DELETED":
            self._requeue(key)

    def _on_assertion(self, kind: str, assertion: dict[str, Any]) -> None:
        meta = assertion.get("metadata") or {}
        if kind != "DELETED":
            self._requeue((str(meta.get("namespace") or ""), str(meta.get("uid") or "")))
        else:
            self.metrics.forget_assertion(str(meta.get("namespace")), str(meta.get("name")))

    def keys(self) -> Iterable[Key]:
        """Every assertion with probe Pods."""
        return self.caches.assertions_with_pods()

    def log_context(self, key: Key) -> AbstractContextManager[None]:
        """Namespace and name of the assertion (its Pods name it) on every log line."""
        pods = self.caches.pods_of(key)
        annotations = annotations_of(pods[0] if pods else None)
        return object_context(key[0], annotations.get(ANNOTATION_ASSERTION) or f"uid {key[1]}")

    def error_policy(self, key: Key, error: Exception) -> float:
        """Schedule the retry of a failed key with back-off; returns the delay.

        A :class:`TemporaryError` (a log not readable yet, a conflict, a server error)
        waits its delay at the earliest; a :class:`PermanentError` and any other API error
        back off; anything else is unexpected and logged with its traceback. There is no
        status to show errors on: the report keeps showing the last run written.
        """
        if isinstance(error, TemporaryError):
            return self.queue.add_rate_limited(key, at_least=error.delay)
        if not isinstance(error, PermanentError | KubeError):
            log.error("unexpected error", exc_info=error)
        return self.queue.add_rate_limited(key)

    # -- reconcile ---------------------------------------------------------------------------

    def runs(self, key: Key) -> tuple[list[ProbeRun], list[str]]:
        """The proven finished (or stuck) runs of an assertion, and Pods left by a deleted one."""
        runs, orphans = [], []
        for pod in self.caches.pods_of(key):
            first = probe_run(pod)
            if first is None or not first.done:
                continue
            proof = trace(pod, self.caches)
            if isinstance(proof, Provenance):
                job_name = str(proof.job["metadata"]["name"])
                run = with_job(first, proof.job)
                runs.append(replace(run, assertion_name=proof.assertion_name, job_name=job_name))
            elif self._left_by_deleted_assertion(key, pod, proof):
                orphans.append(first.pod_name)
            elif self._owner_may_be_in_flight(first, proof):
                self.queue.add_after(key, OWNER_GRACE_SECONDS)
            else:
                self.untrusted.record(pod, proof)
        return runs, orphans

    def _owner_may_be_in_flight(self, run: ProbeRun, reason: UntrustedReason) -> bool:
        # Pods and Jobs come through separate watches: a Job of a run that just finished
        # may not be cached yet. Look again shortly rather than call the Pod untrusted.
        if reason not in ("unknown-job", "unknown-cronjob") or run.finished is None:
            return False
        return (self.clock() - run.finished).total_seconds() < OWNER_GRACE_SECONDS

    def _left_by_deleted_assertion(
        self, key: Key, pod: dict[str, Any], reason: UntrustedReason
    ) -> bool:
        # Deleting an assertion garbage-collects its Jobs before their Pods: such a Pod
        # names a Job no longer there, and no live assertion has its label's UID.
        if reason not in ("unknown-job", "unknown-cronjob"):
            return False
        namespace, uid = key
        hint = annotations_of(pod).get(ANNOTATION_ASSERTION)
        if hint and self._live(self.caches.assertions.get(namespace, hint), uid):
            return False
        return not any(self._live(obj, uid) for obj in self.caches.assertions.items(namespace))

    @staticmethod
    def _live(obj: dict[str, Any] | None, uid: str) -> bool:
        meta = (obj or {}).get("metadata") or {}
        return bool(uid) and meta.get("uid") == uid and not meta.get("deletionTimestamp")

    def _assertion(self, run: ProbeRun) -> dict[str, Any] | None:
        """The run's assertion (the one its Job's chain reaches) if it still exists."""
        if run.assertion_name is None:
            return None
        cached = self.caches.assertions.get(run.namespace, run.assertion_name)
        if self._live(cached, run.assertion_uid):
            return cached
        try:
            fresh = self.kube.get_assertion(run.namespace, run.assertion_name)
        except NotFoundError:
            return None
        return fresh if self._live(fresh, run.assertion_uid) else None

    def _outcome(self, key: Key, run: ProbeRun) -> ProbeOutput | RunFailure:
        """Read and parse the run's log; a failure says what happened."""
        if run.stuck:
            return describe_failure(run)
        try:
            raw, cut = self.kube.read_log(
                run.namespace, run.pod_name, run.container, self.settings.log_max_bytes
            )
        except NotFoundError:
            return describe_failure(run, log_error="the Pod was deleted before it could be read")
        except KubeError as error:
            if self.queue.failures(key) + 1 < self.settings.log_read_attempts:
                message = f"log of Pod {run.pod_name} not readable yet: {error}"
                raise LogNotReadyError(message) from error
            return describe_failure(run, log_error=str(error))
        parsed = parse_log(raw)
        if isinstance(parsed, ParseFailure):
            if cut:
                parsed = ParseFailure(
                    parsed.reason,
                    f"{parsed.detail} (only the last {self.settings.log_max_bytes} bytes of "
                    "the log were read)",
                    parsed.size,
                )
            return describe_failure(run, parse_failure=parsed)
        return parsed

    def reconcile(self, key: Key) -> None:
        """Bring the reports of one assertion up to date with its newest proven run."""
        runs, orphans = self.runs(key)
        if not runs:
            if orphans:
                log.info("Pod %s: its assertion is gone; no report", orphans[0])
                self.metrics.runs.add(1, {"outcome": "orphan"})
            return
        run = max(runs, key=lambda r: r.order_key)
        with object_context(run.namespace, run.assertion_name or run.pod_name):
            if run.run_id is not None:
                self._reconcile_node_run(key, run, runs)
            else:
                self._reconcile_run(key, run)

    def _reports_to_write(
        self, assertion: dict[str, Any], run: ProbeRun
    ) -> tuple[list[Resource], dict[Resource, dict[str, Any] | None]]:
        """The report APIs ``run`` should be written to, and their current reports."""
        name = policy_report_name(str(assertion["metadata"]["name"]))
        currents = {
            api: self.caches.reports[api].get(run.namespace, name) for api in self.settings.apis
        }
        decisions: dict[Resource, Decision] = {
            api: decide(run, current) for api, current in currents.items()
        }
        todo = [api for api, decision in decisions.items() if decision == "write"]
        if not todo:
            skipped = next(iter(decisions.values()))
            if skipped == "foreign":
                log.warning("report %s exists and is not ours; not replacing it", name)
            else:  # after a restart, the metrics learn the current report here
                self.recorder.show(assertion, currents[self.settings.apis[0]])
            self.metrics.skipped.add(1, {"reason": skipped})
        return todo, currents

    def _reconcile_node_run(self, key: Key, newest: ProbeRun, runs: list[ProbeRun]) -> None:
        """Report a per-node run once each of its nodes' Jobs is settled (noderuns.py)."""
        assertion = self._assertion(newest)
        if assertion is None or newest.run_id is None:
            self.metrics.skipped.add(1, {"reason": "orphan"})
            return
        uid = str(assertion["metadata"]["uid"])
        jobs = run_jobs(self.caches.jobs.items(newest.namespace), newest.run_id, uid)
        if not jobs or not all(settled(job) for job in jobs):
            return  # the Jobs' events bring the run back when it settles
        pods = {node_of(job): newest_pod_run(runs, job) for job in jobs}
        now = self.clock()
        if any(
            pod_may_be_in_flight(job, pods[node_of(job)], now, OWNER_GRACE_SECONDS) for job in jobs
        ):
            self.queue.add_after(key, 1.0)
            return
        marker = run_marker(newest, jobs)
        todo, currents = self._reports_to_write(assertion, marker)
        if not todo:
            return
        parts = []
        for job in jobs:
            pod_run = pods[node_of(job)]
            outcome: ProbeOutput | RunFailure
            if pod_run is None or (gone(job) and pod_run.phase != "Succeeded"):
                outcome = no_pod_failure(job)  # a Pod of a lost node says less than that
            else:
                outcome = self._outcome(key, pod_run)
            parts.append(NodeOutcome(node_of(job), pod_run, outcome))

        def build(api: Resource) -> dict[str, Any]:
            return build_node_report(
                assertion,
                marker,
                parts,
                api,
                now=self.clock(),
                limits=self.settings.limits,
                previous=currents[api],
            )

        outputs = [p.outcome for p in parts if not isinstance(p.outcome, RunFailure)]
        overall = outputs[0] if outputs else parts[0].outcome
        self._write(assertion, marker, overall, todo, currents, build)

    def _reconcile_run(self, key: Key, run: ProbeRun) -> None:
        assertion = self._assertion(run)
        if assertion is None:
            log.info("Pod %s: its assertion is gone; no report", run.pod_name)
            self.metrics.skipped.add(1, {"reason": "orphan"})
            return
        todo, currents = self._reports_to_write(assertion, run)
        if not todo:
            return
        outcome = self._outcome(key, run)

        def build(api: Resource) -> dict[str, Any]:
            return build_policy_report(
                assertion,
                run,
                outcome,
                api,
                now=self.clock(),
                limits=self.settings.limits,
                previous=currents[api],
            )

        self._write(assertion, run, outcome, todo, currents, build)

    def _write(
        self,
        assertion: dict[str, Any],
        run: ProbeRun,
        outcome: ProbeOutput | RunFailure,
        todo: list[Resource],
        currents: dict[Resource, dict[str, Any] | None],
        build: Callable[[Resource], dict[str, Any]],
    ) -> None:
        """Write the report built by ``build`` to each API in ``todo``, then record it."""
        previous = currents[todo[0]]
        written: dict[str, Any] | None = None
        stored: dict[str, Any] | None = None  # a report as the API server returned it
        for api in todo:
            desired = build(api)
            result = write_report(self.kube, api, run, desired, currents[api])
            if isinstance(result, str):  # not written: the report changed under us
                self.metrics.skipped.add(1, {"reason": result})
                continue
            self.caches.reports[api].remember(result)  # write-through: seen before the watch
            written, stored = written or desired, stored or result
        if written is None:
            return
        self.recorder.record(assertion, run, outcome, written, previous, stored)
