"""The results service's instruments (OpenTelemetry API; exported by ``setup_metrics``).

Instruments (Prometheus names in brackets):

- ``netchecks.results.rule.result`` [``netchecks_results_rule_result``]: gauge, 1 per
  rule of every assertion with a report, labels ``namespace``, ``assertion``, ``rule``,
  ``type``, ``result``. One series per rule (its current result only); series go away
  with their assertion. Cardinality is bounded by ``NETCHECKS_MAX_RULE_SERIES``
  (default 10,000): rules beyond it are not exported and counted in
  ``netchecks.results.rule.series_dropped``.
- ``netchecks.results.probe.duration`` [``..._seconds``]: histogram of each rule's check
  duration (from its ``data`` timestamps), label ``type``.
- ``netchecks.results.runs`` [``..._total``]: runs processed, label ``outcome``: ``pass``,
  ``fail``, ``error`` (the worst result written) or why nothing was written
  (``reflected``, ``older``, ``orphan``, ``foreign``).
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
from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

_SECONDS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

AssertionKey = tuple[str, str]  # namespace, assertion name


class ResultsMetrics:
    """The instruments, and the current result of each rule for the gauge."""

    def __init__(self, max_rule_series: int = 10_000) -> None:
        meter = metrics.get_meter("netchecks.results")
        self.max_rule_series = max_rule_series
        self._rules: dict[AssertionKey, list[tuple[str, str, str]]] = {}
        self._series = 0
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            "netchecks.results.rule.result",
            callbacks=[self._observe_rules],
            unit="1",
            description="1 for the current result of each rule (labels: result, type)",
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
            "netchecks.results.runs", description="probe runs processed, by outcome"
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
        if dropped:
            self._dropped.add(dropped)

    def forget_assertion(self, namespace: str, assertion: str) -> None:
        """Drop the series of an assertion that is gone."""
        self.set_rules(namespace, assertion, ())

    def _observe_rules(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = [(key, row) for key, rows in self._rules.items() for row in rows]
        for (namespace, assertion), (rule, rule_type, result) in items:
            yield Observation(
                1,
                {
                    "namespace": namespace,
                    "assertion": assertion,
                    "rule": rule,
                    "type": rule_type,
                    "result": result,
                },
            )
