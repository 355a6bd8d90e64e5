"""The assertion's status (pure): the ``Reconciled`` condition, summary and latest result.

Reasons (compat.md): ``ProbeComplete`` (message like ``3 pass, 1 fail``),
``Progressing``, ``InvalidSpec``, ``ResultParseError``, ``ReconcileError``, and
``ContextNotFound`` (a ConfigMap or Secret the probe Pod mounts does not exist).
``lastTransitionTime`` moves only when the condition's status changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netchecks_core.naming import ANNOTATION_GENERATION
from netchecks_core.policyreport import ANNOTATION_RUN_FAILURE

CONDITION = "Reconciled"
PROBE_COMPLETE = "ProbeComplete"
PROGRESSING = "Progressing"
INVALID_SPEC = "InvalidSpec"
RESULT_PARSE_ERROR = "ResultParseError"
RECONCILE_ERROR = "ReconcileError"
#: The probe Pod cannot start: a ConfigMap or Secret it mounts does not exist.
CONTEXT_NOT_FOUND = "ContextNotFound"

SUMMARY_KEYS = ("pass", "fail", "warn", "error", "skip")


def now_rfc3339() -> str:
    """The current time as Kubernetes writes it (UTC, seconds, ``Z``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(
    previous: dict[str, Any] | None,
    *,
    status: str,
    reason: str,
    message: str,
    generation: int,
    now: str,
) -> dict[str, Any]:
    """The ``Reconciled`` condition, keeping ``lastTransitionTime`` unless the status changed."""
    since = now
    if previous and previous.get("status") == status and previous.get("lastTransitionTime"):
        since = previous["lastTransitionTime"]
    return {
        "type": CONDITION,
        "status": status,
        "reason": reason,
        "message": message[:1024],
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }


def previous_condition(status: dict[str, Any] | None) -> dict[str, Any] | None:
    """The current ``Reconciled`` condition, if any."""
    for item in (status or {}).get("conditions") or []:
        if isinstance(item, dict) and item.get("type") == CONDITION:
            return item
    return None


def report_of_generation(report: dict[str, Any] | None, generation: int) -> dict[str, Any] | None:
    """``report`` if it shows a run of spec ``generation`` (as stamped on its Job), else None.

    A report of an earlier spec says nothing about the current one: the status waits
    for the current generation's results rather than show the old summary as its own.
    """
    annotations = ((report or {}).get("metadata") or {}).get("annotations") or {}
    shown = str(annotations.get(ANNOTATION_GENERATION) or "")
    return report if shown.isdigit() and int(shown) == generation else None


def report_summary(report: dict[str, Any] | None) -> dict[str, int] | None:
    """Counts of the report's summary, or None without a report."""
    if not report:
        return None
    raw = report.get("summary") or {}
    return {key: int(raw.get(key) or 0) for key in SUMMARY_KEYS}


def summary_message(summary: dict[str, int]) -> str:
    """``3 pass, 1 fail`` (zero counts left out; ``no results`` when all are zero)."""
    parts = [f"{summary[k]} {k}" for k in SUMMARY_KEYS if summary.get(k)]
    return ", ".join(parts) or "no results"


def epoch_seconds(value: Any) -> float | None:
    """Seconds since the epoch of an API time (RFC 3339 text or ``{seconds, nanos}``)."""
    if isinstance(value, dict) and "seconds" in value:
        return float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def last_result_time(report: dict[str, Any] | None) -> str | None:
    """When the latest result of the report was produced (RFC 3339), if known."""
    if not report:
        return None
    times = [t for r in report.get("results") or [] if (t := epoch_seconds(r.get("timestamp")))]
    if not times:
        created = (report.get("metadata") or {}).get("creationTimestamp")
        return created if isinstance(created, str) else None
    moment = dt.datetime.fromtimestamp(max(times), dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def report_parse_error(report: dict[str, Any] | None) -> str | None:
    """The message of a report whose run gave no usable result (see ANNOTATION_RUN_FAILURE)."""
    annotations = ((report or {}).get("metadata") or {}).get("annotations") or {}
    if not annotations.get(ANNOTATION_RUN_FAILURE):
        return None
    for result in (report or {}).get("results") or []:
        if result.get("message"):
            return str(result["message"])
    return f"the probe run gave no result ({annotations[ANNOTATION_RUN_FAILURE]})"
