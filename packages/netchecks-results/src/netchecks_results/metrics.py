"""The results service's instruments (OpenTelemetry API; exported by ``setup_metrics``).

Instruments (Prometheus names in brackets; docs/operating.md has the table):

- ``netchecks.results.rule.result`` [``netchecks_results_rule_result``]: gauge, 1 per
  rule of every assertion with a report, labels ``namespace``, ``assertion``, ``rule``,
  ``type``, ``result``. One series per rule (its current result only); series go away
  with their assertion. A per-node assertion has one series per rule and result, valued
  by how many nodes have that result: the node is not a label (node counts are
  unbounded in large clusters; the report and status name the failing nodes).
  Cardinality is bounded by ``NETCHECKS_MAX_RULE_SERIES`` (default 10,000): rules
  beyond it are not exported and counted in ``netchecks.results.rule.series_dropped``.
- ``netchecks.results.assertion.last_run_timestamp`` [``..._seconds``] and
  ``netchecks.results.assertion.last_result_timestamp`` [``..._seconds``]: gauges per
  assertion with a report (labels ``namespace``, ``assertion``; within the same bound):
  when its newest run was scheduled, and when its newest run that gave a result was.
- ``netchecks.results.probe.duration`` [``..._seconds``]: histogram of each rule's check
  duration (from its ``data`` timestamps), label ``type``.
- ``netchecks.results.runs`` [``..._total``]: runs reported, label ``outcome``:
  ``reported`` (the probe's result), ``no-result`` (the Pod failed, was OOM-killed, could
  not start, printed nothing, its log could not be read), ``parse-error`` (its output
  was cut off or invalid).
- ``netchecks.results.runs.skipped`` [``..._total``]: finished runs not written, label
  ``reason``: ``reflected`` (the report shows it already), ``older`` (it shows a newer
  run), ``orphan`` (the assertion is gone), ``foreign`` (the report is not ours).
- ``netchecks.results.parse_failures`` [``..._total``]: runs without a result, label
  ``reason`` (``empty``, ``no-output``, ``incomplete-output``, ``invalid-output``,
  ``pod-failed``, ``oom-killed``, ``image-pull``, ``log-unavailable``...).
- ``netchecks.results.untrusted_pods`` [``..._total``]: Pods with the probe labels that
  are not runs of the operator (their controller chain does not reach the assertion;
  docs/operating.md, trust model), each counted once, label ``reason``
  (``no-controller``, ``unknown-job``, ``foreign-job``, ``unknown-cronjob``,
  ``foreign-cronjob``, ``wrong-uid``). They never change a report.
- ``netchecks.results.report.latency`` [``..._seconds``]: time from the probe Pod's
  completion to its report written.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from netchecks_core.meta import annotations_of
from netchecks_core.policyreport import ANNOTATION_LAST_RESULT_TIME, ANNOTATION_RUN_TIME
from netchecks_core.times import parse_rfc3339
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

_SECONDS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

AssertionKey = tuple[str, str]  # namespace, assertion name
#: Outcomes of a run that gave no result because its output was there but unusable.
_PARSE_ERRORS = frozenset({"incomplete-output", "invalid-output"})


def run_outcome(failure_reason: str | None) -> str:
    """The ``outcome`` label of a run reported: its failure reason (None: it gave a result)."""
    if failure_reason is None:
        return "reported"
    return "parse-error" if failure_reason in _PARSE_ERRORS else "no-result"


@dataclass(frozen=True)
class RunTimes:
    """When an assertion's newest run was scheduled, and its newest run with a result."""

    last_run: float | None
    last_result: float | None

    @classmethod
    def of_report(cls, report: dict[str, Any]) -> RunTimes:
        """The times a report's marker annotations hold (epoch seconds)."""
        annotations = annotations_of(report)
        run = parse_rfc3339(annotations.get(ANNOTATION_RUN_TIME))
        result = parse_rfc3339(annotations.get(ANNOTATION_LAST_RESULT_TIME))
        return cls(
            run.timestamp() if run is not None else None,
            result.timestamp() if result is not None else None,
        )


class ResultsMetrics:
    """The instruments, and the current result of each rule for the gauge."""

    def __init__(self, max_rule_series: int = 10_000) -> None:
        meter = metrics.get_meter("netchecks.results")
        self.max_rule_series = max_rule_series
        self._rules: dict[AssertionKey, list[tuple[str, str, str]]] = {}
        self._times: dict[AssertionKey, RunTimes] = {}
        self._series = 0
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            "netchecks.results.rule.result",
            callbacks=[self._observe_rules],
            unit="1",
            description="1 for the current result of each rule (labels: result, type); "
            "for per-node assertions, the number of nodes with that result",
        )
        meter.create_observable_gauge(
            "netchecks.results.assertion.last_run_timestamp",
            callbacks=[self._observe_last_runs],
            unit="s",
            description="when the newest run of each assertion was scheduled (epoch seconds)",
        )
        meter.create_observable_gauge(
            "netchecks.results.assertion.last_result_timestamp",
            callbacks=[self._observe_last_results],
            unit="s",
            description="when the newest run of each assertion that gave a result was scheduled",
        )
        self._dropped = meter.create_counter(
            "netchecks.results.rule.series_dropped",
            description="rule results not exported because of the series bound",
        )
        self.probe_duration = meter.create_histogram(
            "netchecks.results.probe.duration",
            unit="s",
            description="duration of each rule's check, by type",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )
        self.runs = meter.create_counter(
            "netchecks.results.runs", description="probe runs reported, by outcome"
        )
        self.skipped = meter.create_counter(
            "netchecks.results.runs.skipped",
            description="finished probe runs not written, by reason",
        )
        self.parse_failures = meter.create_counter(
            "netchecks.results.parse_failures",
            description="probe runs that gave no usable result, by reason",
        )
        self.untrusted_pods = meter.create_counter(
            "netchecks.results.untrusted_pods",
            description="Pods with probe labels that are not runs of the operator, by reason",
        )
        self.latency = meter.create_histogram(
            "netchecks.results.report.latency",
            unit="s",
            description="time from probe Pod completion to its report written",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )

    def set_rules(
        self, namespace: str, assertion: str, results: Iterable[tuple[str, str, str]]
    ) -> None:
        """Replace the current results (rule, type, result) of one assertion."""
        rows = list(results)
        with self._lock:
            self._series -= len(self._rules.pop((namespace, assertion), ()))
            room = max(0, self.max_rule_series - self._series)
            kept, dropped = rows[:room], len(rows) - min(room, len(rows))
            if kept:
                self._rules[(namespace, assertion)] = kept
                self._series += len(kept)
            else:
                self._times.pop((namespace, assertion), None)
        if dropped:
            self._dropped.add(dropped)

    def show_report(self, namespace: str, assertion: str, report: dict[str, Any]) -> None:
        """Mirror the report now current for an assertion: its rules' results and run times."""
        results = [r for r in report.get("results") or [] if isinstance(r, dict)]
        self.set_rules(
            namespace,
            assertion,
            [(str(r.get("rule")), str(r.get("category")), str(r.get("result"))) for r in results],
        )
        key = (namespace, assertion)
        with self._lock:
            if key in self._rules:
                self._times[key] = RunTimes.of_report(report)

    def forget_assertion(self, namespace: str, assertion: str) -> None:
        """Drop the series of an assertion that is gone."""
        self.set_rules(namespace, assertion, ())

    def _observe_rules(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            # A per-node report repeats a rule once per node: one series per distinct
            # (rule, type, result), valued by how many nodes have it (node is no label).
            items = Counter((key, row) for key, rows in self._rules.items() for row in rows)
        for ((namespace, assertion), (rule, rule_type, result)), count in items.items():
            yield Observation(
                count,
                {
                    "namespace": namespace,
                    "assertion": assertion,
                    "rule": rule,
                    "type": rule_type,
                    "result": result,
                },
            )

    def _observe_times(self, last_result: bool) -> Iterable[Observation]:
        with self._lock:
            items = list(self._times.items())
        for (namespace, assertion), times in items:
            value = times.last_result if last_result else times.last_run
            if value is not None:
                yield Observation(value, {"namespace": namespace, "assertion": assertion})

    def _observe_last_runs(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._observe_times(last_result=False)

    def _observe_last_results(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._observe_times(last_result=True)
