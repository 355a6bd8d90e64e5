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
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from netchecks_core.naming import (
    ANNOTATION_ASSERTION,
    LABEL_ASSERTION_UID,
    LABEL_MANAGED_BY,
    MANAGED_BY_RESULTS,
    OPERATOR_SELECTOR,
    PROBE_POD_SELECTOR,
    policy_report_name,
)
from netchecks_core.policyreport import ReportApi
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.service.errors import (
    ConflictError,
    KubeError,
    NotFoundError,
    TransientError,
)
from netchecks_core.service.health import Heartbeat
from netchecks_core.service.informer import Informer
from netchecks_core.service.kube import KubeApi
from netchecks_core.service.logs import object_context
from netchecks_core.service.workqueue import WorkQueue

from netchecks_results.events import outcome_event
from netchecks_results.kube import (
    CRONJOBS,
    JOBS,
    NETWORK_ASSERTIONS,
    PODS,
    ResultsKube,
    report_resource,
)
from netchecks_results.metrics import ResultsMetrics, run_outcome
from netchecks_results.parse import ParseFailure, parse_log
from netchecks_results.publish import Decision, decide, publish
from netchecks_results.report import build_policy_report, outcome_by_rule
from netchecks_results.runs import ProbeRun, RunFailure, describe_failure, parse_time, probe_run
from netchecks_results.settings import ResultsSettings
from netchecks_results.trust import Provenance, UntrustedReason, trace
from netchecks_results.untrusted import UntrustedPods

log = logging.getLogger(__name__)

Key = tuple[str, str]  # namespace, assertion uid
#: How long after a Pod finished a missing Job is taken for watch lag, not forgery.
OWNER_GRACE_SECONDS = 10.0
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RetryLaterError(Exception):
    """The run cannot be processed yet (e.g. its log is not readable); back off and retry."""


def _version(obj: dict[str, Any] | None) -> int:
    text = str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
    return int(text) if text.isdigit() else -1


class ResultsController:
    """The results service's loop; :meth:`start` runs informers and workers in threads."""

    def __init__(
        self,
        settings: ResultsSettings,
        api: KubeApi,
        metrics: ResultsMetrics,
        *,
        stop: threading.Event | None = None,
        clock: Clock = _utcnow,
    ) -> None:
        self.settings = settings
        self.kube = ResultsKube(api, settings.identity)
        self.metrics = metrics
        self.stop = stop or threading.Event()
        self.clock = clock
        self.leading = threading.Event()
        self.queue: WorkQueue[Key] = WorkQueue(base_delay=0.5, max_delay=60.0)
        self.heartbeats = [Heartbeat(max_age=90.0) for _ in range(settings.workers)]
        self._pods: dict[Key, dict[str, dict[str, Any]]] = {}
        self._pods_lock = threading.Lock()
        self._written: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._written_lock = threading.Lock()
        namespaces: list[str | None] = list(settings.namespaces) or [None]
        common: dict[str, Any] = {"watch_timeout": settings.watch_timeout, "stop": self.stop}
        self.pod_informers = [
            Informer(
                api,
                PODS,
                namespace=ns,
                label_selector=PROBE_POD_SELECTOR,
                handler=self._on_pod,
                **common,
            )
            for ns in namespaces
        ]
        self.untrusted = UntrustedPods(metrics.untrusted_pods)
        self.job_informers, self.cronjob_informers = (
            [
                Informer(
                    api,
                    resource,
                    namespace=ns,
                    label_selector=OPERATOR_SELECTOR,
                    handler=self._on_owner,
                    **common,
                )
                for ns in namespaces
            ]
            for resource in (JOBS, CRONJOBS)
        )
        self.assertion_informers = [
            Informer(api, NETWORK_ASSERTIONS, namespace=ns, handler=self._on_assertion, **common)
            for ns in namespaces
        ]
        ours = f"{LABEL_MANAGED_BY}={MANAGED_BY_RESULTS}"
        self.report_informers: dict[ReportApi, list[Informer]] = {
            report_api: [
                Informer(
                    api, report_resource(report_api), namespace=ns, label_selector=ours, **common
                )
                for ns in namespaces
            ]
            for report_api in settings.apis
        }
        self._threads: list[threading.Thread] = []

    # -- informers -------------------------------------------------------------------------

    @property
    def informers(self) -> list[Informer]:
        """Every informer of the controller."""
        reports = [i for group in self.report_informers.values() for i in group]
        owners = [*self.job_informers, *self.cronjob_informers, *self.assertion_informers]
        return [*self.pod_informers, *owners, *reports]

    def synced(self) -> bool:
        """Whether every informer has listed once (readiness)."""
        return all(i.synced.is_set() for i in self.informers)

    def workers_alive(self) -> bool:
        """Whether every worker is turning (liveness)."""
        alive = [t for t in self._threads if t.name.startswith("results-worker")]
        return (
            bool(alive)
            and all(t.is_alive() for t in alive)
            and all(h.fresh() for h in self.heartbeats)
        )

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        uid = (meta.get("labels") or {}).get(LABEL_ASSERTION_UID)
        if not uid:
            return
        key = (str(meta.get("namespace") or ""), str(uid))
        name = str(meta.get("name") or "")
        with self._pods_lock:
            pods = self._pods.setdefault(key, {})
            if kind == "DELETED":
                pods.pop(name, None)
                if not pods:
                    del self._pods[key]
                return
            pods[name] = pod
        run = probe_run(pod)
        if run is not None and run.done:
            self.queue.add(key)

    def _requeue(self, key: Key) -> None:
        with self._pods_lock:
            known = key in self._pods
        if known:
            self.queue.add(key)

    def _on_owner(self, kind: str, obj: dict[str, Any]) -> None:
        # A run's Job or CronJob may reach the cache after its Pod finished: look again.
        meta = obj.get("metadata") or {}
        uid = (meta.get("labels") or {}).get(LABEL_ASSERTION_UID)
        if uid and kind != "DELETED":
            self._requeue((str(meta.get("namespace") or ""), str(uid)))

    def _on_assertion(self, kind: str, assertion: dict[str, Any]) -> None:
        if kind != "DELETED":
            meta = assertion.get("metadata") or {}
            self._requeue((str(meta.get("namespace") or ""), str(meta.get("uid") or "")))
        if kind == "DELETED":
            meta = assertion.get("metadata") or {}
            namespace, name = str(meta.get("namespace")), str(meta.get("name"))
            self.metrics.forget_assertion(namespace, name)
            with self._written_lock:
                for key in [k for k in self._written if k[1:] == (namespace, name)]:
                    del self._written[key]

    def enqueue_all(self) -> None:
        """Queue every assertion with probe Pods (on leadership, and as a resync)."""
        with self._pods_lock:
            keys = list(self._pods)
        for key in keys:
            self.queue.add(key)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the informers, the workers and the resync timer."""
        for informer in self.informers:
            self._threads.append(informer.start())
        for index in range(self.settings.workers):
            thread = threading.Thread(
                target=self._work, args=(index,), name=f"results-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        resync = threading.Thread(target=self._resync, name="results-resync", daemon=True)
        resync.start()
        self._threads.append(resync)

    def on_started_leading(self) -> None:
        """Leadership gained: process everything the informers know of."""
        self.leading.set()
        self.enqueue_all()

    def on_stopped_leading(self) -> None:
        """Leadership lost: workers go idle."""
        self.leading.clear()

    def shutdown(self) -> None:
        """Stop the loops and wait briefly for them."""
        self.stop.set()
        self.queue.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)

    def _resync(self) -> None:
        while not self.stop.wait(self.settings.resync_period):
            if self.leading.is_set():
                self.enqueue_all()

    def _work(self, index: int) -> None:
        heartbeat = self.heartbeats[index]
        while not self.stop.is_set():
            heartbeat.beat()
            if not self.leading.wait(timeout=1.0):
                continue
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                self.reconcile(key)
                self.queue.forget(key)
            except (RetryLaterError, KubeError) as error:
                at_least = getattr(error, "retry_after", None) or 0.0
                delay = self.queue.add_rate_limited(key, at_least=at_least)
                log.warning(
                    "assertion uid %s in %s: %s; retrying in %.1fs", key[1], key[0], error, delay
                )
            except Exception:
                delay = self.queue.add_rate_limited(key)
                log.exception(
                    "assertion uid %s in %s: unexpected error; retrying in %.1fs",
                    key[1],
                    key[0],
                    delay,
                )
            finally:
                self.queue.done(key)

    # -- reconcile -------------------------------------------------------------------------

    def job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A cached Job of the operator (:class:`netchecks_results.trust.Caches`)."""
        return self._cached(self.job_informers, namespace, name)

    def cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A cached CronJob of the operator (:class:`netchecks_results.trust.Caches`)."""
        return self._cached(self.cronjob_informers, namespace, name)

    def runs(self, key: Key) -> tuple[list[ProbeRun], list[str]]:
        """The proven finished (or stuck) runs of an assertion, and Pods left by a deleted one."""
        with self._pods_lock:
            pods = list(self._pods.get(key, {}).values())
        runs, orphans = [], []
        for pod in pods:
            first = probe_run(pod)
            if first is None or not first.done:
                continue
            proof = trace(pod, self)
            if isinstance(proof, Provenance):
                run = probe_run(pod, proof.job) or first
                job_name = str(proof.job["metadata"]["name"])
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

    def newest_run(self, key: Key) -> ProbeRun | None:
        """The newest proven finished (or stuck) run of an assertion among cached Pods."""
        runs, _orphans = self.runs(key)
        return max(runs, key=lambda r: r.order_key) if runs else None

    def _left_by_deleted_assertion(
        self, key: Key, pod: dict[str, Any], reason: UntrustedReason
    ) -> bool:
        # Deleting an assertion garbage-collects its Jobs before their Pods: such a Pod
        # names a Job no longer there, and no live assertion has its label's UID.
        if reason not in ("unknown-job", "unknown-cronjob"):
            return False
        namespace, uid = key
        hint = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_ASSERTION)
        if hint and self._live(self._cached(self.assertion_informers, namespace, hint), uid):
            return False
        return not any(
            self._live(obj, uid)
            for informer in self.assertion_informers
            if informer.namespace in (None, namespace)
            for obj in informer.items()
            if (obj.get("metadata") or {}).get("namespace") == namespace
        )

    @staticmethod
    def _live(obj: dict[str, Any] | None, uid: str) -> bool:
        meta = (obj or {}).get("metadata") or {}
        return bool(uid) and meta.get("uid") == uid and not meta.get("deletionTimestamp")

    def _cached(
        self, informers: list[Informer], namespace: str, name: str
    ) -> dict[str, Any] | None:
        for informer in informers:
            if informer.namespace in (None, namespace):
                obj = informer.get(namespace, name)
                if obj is not None:
                    return obj
        return None

    def _assertion(self, run: ProbeRun) -> dict[str, Any] | None:
        """The run's assertion (the one its Job's chain reaches) if it still exists."""
        if run.assertion_name is None:
            return None
        cached = self._cached(self.assertion_informers, run.namespace, run.assertion_name)
        if self._live(cached, run.assertion_uid):
            return cached
        try:
            fresh = self.kube.get_assertion(run.namespace, run.assertion_name)
        except NotFoundError:
            return None
        return fresh if self._live(fresh, run.assertion_uid) else None

    def _current_report(self, api: ReportApi, namespace: str, name: str) -> dict[str, Any] | None:
        cached = self._cached(self.report_informers[api], namespace, name)
        with self._written_lock:
            written = self._written.get((api.api_version, namespace, name))
        if written is not None and _version(written) > _version(cached):
            return written
        return cached

    def _remember(self, api: ReportApi, report: dict[str, Any]) -> None:
        meta = report.get("metadata") or {}
        with self._written_lock:
            self._written[(api.api_version, str(meta.get("namespace")), str(meta.get("name")))] = (
                report
            )

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
                raise RetryLaterError(message) from error
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
            self._reconcile_run(key, run)

    def _reconcile_run(self, key: Key, run: ProbeRun) -> None:
        assertion = self._assertion(run)
        if assertion is None:
            log.info("Pod %s: its assertion is gone; no report", run.pod_name)
            self.metrics.skipped.add(1, {"reason": "orphan"})
            return
        name = policy_report_name(str(assertion["metadata"]["name"]))
        currents = {
            api: self._current_report(api, run.namespace, name) for api in self.settings.apis
        }
        decisions: dict[ReportApi, Decision] = {
            api: decide(run, current) for api, current in currents.items()
        }
        todo = [api for api, decision in decisions.items() if decision == "write"]
        if not todo:
            skipped = next(iter(decisions.values()))
            if skipped == "foreign":
                log.warning("report %s exists and is not ours; not replacing it", name)
            else:  # after a restart, the metrics learn the current report here
                self._show(assertion, currents[self.settings.apis[0]])
            self.metrics.skipped.add(1, {"reason": skipped})
            return
        outcome = self._outcome(key, run)
        previous = currents[todo[0]]
        written: dict[str, Any] | None = None
        stored: dict[str, Any] | None = None  # as the API server returned it (with its uid)
        for api in todo:
            desired = build_policy_report(
                assertion,
                run,
                outcome,
                api,
                now=self.clock(),
                limits=self.settings.limits,
                previous=currents[api],
            )
            result = self._write(api, run, desired, currents[api])
            if result is not None:
                written, stored = written or desired, stored or result
        if written is None:
            return
        self._record(assertion, run, outcome, written, previous, stored)

    def _write(
        self,
        api: ReportApi,
        run: ProbeRun,
        desired: dict[str, Any],
        current: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        """Create or replace; on a conflict, read the report again and decide again."""
        meta = desired["metadata"]
        for _attempt in range(3):
            try:
                written = publish(self.kube, api, desired, current)
            except ConflictError:
                try:
                    current = self.kube.get_report(api, meta["namespace"], meta["name"])
                except NotFoundError:
                    current = None
                decision = decide(run, current)
                if decision != "write":
                    self.metrics.skipped.add(1, {"reason": decision})
                    return None
                continue
            self._remember(api, written)
            return written
        raise TransientError(f"report {meta['name']} kept changing while being written")

    def _record(
        self,
        assertion: dict[str, Any],
        run: ProbeRun,
        outcome: ProbeOutput | RunFailure,
        written: dict[str, Any],
        previous: dict[str, Any] | None,
        stored: dict[str, Any] | None = None,
    ) -> None:
        """Metrics, the outcome Event and a log line for a report written.

        The Event goes on the assertion and, as 0.10 did, on the report (``stored``).
        """
        now = self.clock()
        if run.finished is not None:
            self.metrics.latency.record(max(0.0, (now - run.finished).total_seconds()))
        failure = outcome if isinstance(outcome, RunFailure) else None
        self.metrics.runs.add(1, {"outcome": run_outcome(failure.reason if failure else None)})
        if failure is not None:
            self.metrics.parse_failures.add(1, {"reason": failure.reason})
        else:
            self._record_durations(written, outcome)
        meta = assertion["metadata"]
        self._show(assertion, written)
        summary = written.get("summary") or {}
        log.info(
            "report written for run %s (Pod %s, %s): %s",
            written["metadata"]["annotations"].get("netchecks.io/run-time"),
            run.pod_name,
            run.phase,
            ", ".join(f"{v} {k}" for k, v in summary.items() if v) or "no results",
        )
        previous_outcome = None
        if previous is not None and ((previous.get("metadata") or {}).get("labels") or {}).get(
            LABEL_ASSERTION_UID
        ) == meta.get("uid"):
            previous_outcome = outcome_by_rule(previous)
        event = outcome_event(previous_outcome, outcome_by_rule(written), failure)
        if event is None or not self.settings.events:
            return
        moment = datetime.now(UTC)
        # Apart by a microsecond: both Events are named after the same name and moment.
        for offset, regarding in enumerate(r for r in (assertion, stored) if r is not None):
            try:
                self.kube.post_event(
                    regarding,
                    event_type=event.type,
                    reason=event.reason,
                    message=event.message,
                    now=moment + timedelta(microseconds=offset),
                )
            except KubeError as error:
                log.warning("could not post the %s event: %s", event.reason, error)

    def _show(self, assertion: dict[str, Any], report: dict[str, Any] | None) -> None:
        if report is not None:
            meta = assertion["metadata"]
            self.metrics.show_report(str(meta.get("namespace")), str(meta.get("name")), report)

    def _record_durations(self, written: dict[str, Any], output: ProbeOutput | RunFailure) -> None:
        if not isinstance(output, ProbeOutput):
            return
        types = {str(r.get("rule")): str(r.get("category")) for r in written.get("results") or []}
        for item in output.assertions:
            for result in item.results:
                start = parse_time(result.data.get("startTimestamp"))
                end = parse_time(result.data.get("endTimestamp"))
                if start is not None and end is not None and end >= start:
                    rule_type = types.get(item.name) or str(result.spec.get("type") or "unknown")
                    self.metrics.probe_duration.record(
                        (end - start).total_seconds(), {"type": rule_type}
                    )
