"""What follows a report written: metrics, the outcome Event and a log line.

Nothing here decides what to write; :mod:`netchecks_results.controller` calls
:meth:`ReportRecorder.record` once per report written, and :meth:`ReportRecorder.show`
when it learns an assertion's current report without writing it (after a restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from netchecks_core.meta import labels_of
from netchecks_core.naming import LABEL_ASSERTION_UID
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.times import parse_rfc3339
from netchecks_service.errors import KubeError

from netchecks_results.events import outcome_event
from netchecks_results.kube import ResultsKube
from netchecks_results.metrics import ResultsMetrics, run_outcome
from netchecks_results.report import outcome_by_rule
from netchecks_results.runs import ProbeRun, RunFailure

log = logging.getLogger(__name__)


class ReportRecorder:
    """Metrics and Events about reports written."""

    def __init__(
        self,
        kube: ResultsKube,
        metrics: ResultsMetrics,
        clock: Callable[[], datetime],
        *,
        events: bool,
    ) -> None:
        self.kube = kube
        self.metrics = metrics
        self.clock = clock
        self.events = events

    def record(
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
        if run.finished is not None:
            self.metrics.latency.record(max(0.0, (self.clock() - run.finished).total_seconds()))
        failure = outcome if isinstance(outcome, RunFailure) else None
        self.metrics.runs.add(1, {"outcome": run_outcome(failure.reason if failure else None)})
        if isinstance(outcome, RunFailure):
            self.metrics.parse_failures.add(1, {"reason": outcome.reason})
        else:
            self._record_durations(written, outcome)
        self.show(assertion, written)
        summary = written.get("summary") or {}
        log.info(
            "report written for run %s (Pod %s, %s): %s",
            written["metadata"]["annotations"].get("netchecks.io/run-time"),
            run.pod_name,
            run.phase,
            ", ".join(f"{v} {k}" for k, v in summary.items() if v) or "no results",
        )
        self._post_event(assertion, written, previous, failure, stored)

    def _post_event(
        self,
        assertion: dict[str, Any],
        written: dict[str, Any],
        previous: dict[str, Any] | None,
        failure: RunFailure | None,
        stored: dict[str, Any] | None,
    ) -> None:
        uid = assertion["metadata"].get("uid")
        previous_outcome = None
        if previous is not None and labels_of(previous).get(LABEL_ASSERTION_UID) == uid:
            previous_outcome = outcome_by_rule(previous)
        event = outcome_event(previous_outcome, outcome_by_rule(written), failure)
        if event is None or not self.events:
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

    def show(self, assertion: dict[str, Any], report: dict[str, Any] | None) -> None:
        """Export the assertion's current report as metrics."""
        if report is not None:
            meta = assertion["metadata"]
            self.metrics.show_report(str(meta.get("namespace")), str(meta.get("name")), report)

    def _record_durations(self, written: dict[str, Any], output: ProbeOutput) -> None:
        types = {str(r.get("rule")): str(r.get("category")) for r in written.get("results") or []}
        for item in output.assertions:
            for result in item.results:
                start = parse_rfc3339(result.data.get("startTimestamp"))
                end = parse_rfc3339(result.data.get("endTimestamp"))
                if start is not None and end is not None and end >= start:
                    rule_type = types.get(item.name) or str(result.spec.get("type") or "unknown")
                    self.metrics.probe_duration.record(
                        (end - start).total_seconds(), {"type": rule_type}
                    )
