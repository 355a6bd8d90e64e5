"""The assertion's status (pure): the ``Reconciled`` condition, summary and latest result.

Reasons (compat.md): ``ProbeComplete`` (message like ``3 pass, 1 fail``),
``Progressing``, ``InvalidSpec``, ``ResultParseError``, ``ReconcileError``, and
``ContextNotFound`` (a ConfigMap or Secret the probe Pod mounts does not exist).
``lastTransitionTime`` moves only when the condition's status changes.

The status is built with core's ``NetworkAssertionStatus`` model; conditions of other
types (written by someone else) are kept as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netchecks_core.assertion import (
    Condition,
    ConditionStatus,
    NetworkAssertionStatus,
    NodesSummary,
    Summary,
)
from netchecks_core.meta import annotations_of, metadata_of
from netchecks_core.naming import ANNOTATION_GENERATION
from netchecks_core.policyreport import (
    ANNOTATION_FAILING_NODE_COUNT,
    ANNOTATION_FAILING_NODES,
    ANNOTATION_NODES,
    ANNOTATION_RUN_FAILURE,
    MAX_FAILING_NODES_NAMED,
    RESULT_STATUSES,
)
from netchecks_core.times import parse_rfc3339, rfc3339

CONDITION = "Reconciled"
PROBE_COMPLETE = "ProbeComplete"
PROGRESSING = "Progressing"
INVALID_SPEC = "InvalidSpec"
RESULT_PARSE_ERROR = "ResultParseError"
RECONCILE_ERROR = "ReconcileError"
#: The probe Pod cannot start: a ConfigMap or Secret it mounts does not exist.
CONTEXT_NOT_FOUND = "ContextNotFound"
#: The longest condition message kept.
MAX_MESSAGE = 1024


def condition(
    previous: dict[str, Any] | None,
    *,
    status: ConditionStatus,
    reason: str,
    message: str,
    generation: int,
    now: str,
) -> Condition:
    """The ``Reconciled`` condition, keeping ``lastTransitionTime`` unless the status changed."""
    since = now
    kept = (previous or {}).get("lastTransitionTime")
    if previous and previous.get("status") == status and kept and isinstance(kept, str):
        since = kept
    return Condition(
        type=CONDITION,
        status=status,
        reason=reason,
        message=message[:MAX_MESSAGE],
        last_transition_time=since,
        observed_generation=generation,
    )


def previous_condition(status: dict[str, Any] | None) -> dict[str, Any] | None:
    """The current ``Reconciled`` condition, if any."""
    for item in (status or {}).get("conditions") or []:
        if isinstance(item, dict) and item.get("type") == CONDITION:
            return item
    return None


def _other_conditions(status: dict[str, Any]) -> list[Any]:
    return [c for c in status.get("conditions") or [] if c.get("type") != CONDITION]


def assertion_status(
    old: dict[str, Any],
    reconciled: Condition,
    *,
    generation: int,
    report: dict[str, Any] | None,
    job_name: str | None = None,
) -> dict[str, Any]:
    """The status body: ``reconciled`` first, the report's summary, the run shown."""
    name = job_name or old.get("jobName")
    summary = report_summary(report)
    status = NetworkAssertionStatus(
        observed_generation=generation,
        job_name=name if isinstance(name, str) and name else None,
        conditions=[reconciled],
        summary=Summary.model_validate(summary) if summary is not None else None,
        last_result_time=last_result_time(report) if summary is not None else None,
        nodes=nodes_summary(report),
    )
    body = status.model_dump(by_alias=True, exclude_none=True)
    body["conditions"] += _other_conditions(old)
    return body


def error_status(assertion: dict[str, Any], message: str, now: str) -> dict[str, Any]:
    """Status after a reconcile failed (``ReconcileError``), keeping the rest as it was."""
    old = dict(assertion.get("status") or {})
    generation = int(metadata_of(assertion).get("generation") or 1)
    reconciled = condition(
        previous_condition(old),
        status="False",
        reason=RECONCILE_ERROR,
        message=message,
        generation=generation,
        now=now,
    )
    old["conditions"] = [reconciled.model_dump(by_alias=True, exclude_none=True)]
    old["conditions"] += _other_conditions(assertion.get("status") or {})
    return old


def status_changed(assertion: dict[str, Any], desired: dict[str, Any] | None) -> bool:
    """Whether writing ``desired`` would change the stored status (no write loops)."""
    if desired is None:
        return False
    return bool((assertion.get("status") or {}) != desired)


def report_of_generation(report: dict[str, Any] | None, generation: int) -> dict[str, Any] | None:
    """``report`` if it shows a run of spec ``generation`` (as stamped on its Job), else None.

    A report of an earlier spec says nothing about the current one: the status waits
    for the current generation's results rather than show the old summary as its own.
    """
    shown = str(annotations_of(report).get(ANNOTATION_GENERATION) or "")
    return report if shown.isdigit() and int(shown) == generation else None


def report_summary(report: dict[str, Any] | None) -> dict[str, int] | None:
    """Counts of the report's summary, or None without a report."""
    if not report:
        return None
    raw = report.get("summary") or {}
    return {key: max(0, int(raw.get(key) or 0)) for key in RESULT_STATUSES}


def summary_message(summary: dict[str, int]) -> str:
    """``3 pass, 1 fail`` (zero counts left out; ``no results`` when all are zero)."""
    parts = [f"{summary[k]} {k}" for k in RESULT_STATUSES if summary.get(k)]
    return ", ".join(parts) or "no results"


def epoch_seconds(value: Any) -> float | None:
    """Seconds since the epoch of an API time (RFC 3339 text or ``{seconds, nanos}``)."""
    if isinstance(value, dict) and "seconds" in value:
        return float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9
    moment = parse_rfc3339(value)
    return moment.timestamp() if moment is not None else None


def last_result_time(report: dict[str, Any] | None) -> str | None:
    """When the latest result of the report was produced (RFC 3339), if known."""
    if not report:
        return None
    times = [t for r in report.get("results") or [] if (t := epoch_seconds(r.get("timestamp")))]
    if not times:
        created = metadata_of(report).get("creationTimestamp")
        return created if isinstance(created, str) else None
    return rfc3339(dt.datetime.fromtimestamp(max(times), dt.UTC))


def report_parse_error(report: dict[str, Any] | None) -> str | None:
    """The message of a report whose run gave no usable result (see ANNOTATION_RUN_FAILURE)."""
    failure = annotations_of(report).get(ANNOTATION_RUN_FAILURE)
    if not failure:
        return None
    for result in (report or {}).get("results") or []:
        if result.get("message"):
            return str(result["message"])
    return f"the probe run gave no result ({failure})"


def nodes_summary(report: dict[str, Any] | None) -> NodesSummary | None:
    """The node counts of a per-node run's report (None: not a per-node report)."""
    annotations = annotations_of(report)
    total = str(annotations.get(ANNOTATION_NODES) or "")
    failing = str(annotations.get(ANNOTATION_FAILING_NODE_COUNT) or "0")
    if not total.isdigit() or not failing.isdigit():
        return None
    names = [n for n in str(annotations.get(ANNOTATION_FAILING_NODES) or "").split(",") if n]
    return NodesSummary(
        total=int(total),
        passing=max(0, int(total) - int(failing)),
        failing=int(failing),
        failing_nodes=names[:MAX_FAILING_NODES_NAMED],
    )


def nodes_message(report: dict[str, Any] | None) -> str:
    """``; 1 of 3 nodes failing: b`` for a per-node report (empty otherwise)."""
    nodes = nodes_summary(report)
    if nodes is None:
        return ""
    if not nodes.failing:
        return f"; all {nodes.total} nodes pass"
    more = ", ..." if nodes.failing > len(nodes.failing_nodes) else ""
    named = ", ".join(nodes.failing_nodes) + more
    return f"; {nodes.failing} of {nodes.total} nodes failing: {named}"
