"""The assertion's status (pure): its conditions, summary and latest result.

Conditions, in this order, all with ``observedGeneration``:

- ``Reconciled`` (kept for 0.10 users): reasons ``ProbeComplete`` (True, message like
  ``3 pass, 1 fail``), ``Progressing`` (Unknown: no result of this spec generation yet),
  ``InvalidSpec``, ``ResultParseError``, ``ReconcileError`` and ``ContextNotFound`` (a
  ConfigMap or Secret the probe Pod mounts does not exist), all False.
- ``Ready`` (kstatus, Flux, Argo CD): the same status, reason and message as ``Reconciled``;
  True once the latest run's results are published, whatever they say.
- ``Passing``: the network's verdict of the results shown: True (``RulesPassing``), False
  (``RulesFailing``, or ``RulesErroring`` when a rule could not be judged), Unknown
  (``NoResults``), so a failing check shows without making the object unhealthy.
- ``Reconciling`` (True, only while waiting for the first run of this spec generation)
  and ``Stalled`` (True, only for ``InvalidSpec``): abnormal-true, absent otherwise.

``lastTransitionTime`` moves only when a condition's status changes. The status is
built with core's ``NetworkAssertionStatus`` model; conditions of other types (written
by someone else) are kept after ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
READY = "Ready"
PASSING = "Passing"
RECONCILING = "Reconciling"
STALLED = "Stalled"
#: Every condition type this module writes, in the order written.
OWN_CONDITIONS = (CONDITION, READY, PASSING, RECONCILING, STALLED)

PROBE_COMPLETE = "ProbeComplete"
PROGRESSING = "Progressing"
INVALID_SPEC = "InvalidSpec"
RESULT_PARSE_ERROR = "ResultParseError"
RECONCILE_ERROR = "ReconcileError"
#: The probe Pod cannot start: a ConfigMap or Secret it mounts does not exist.
CONTEXT_NOT_FOUND = "ContextNotFound"

#: Reasons of ``Passing``.
RULES_PASSING = "RulesPassing"
RULES_FAILING = "RulesFailing"
RULES_ERRORING = "RulesErroring"
NO_RESULTS = "NoResults"

#: The longest condition message kept.
MAX_MESSAGE = 1024


@dataclass(frozen=True)
class Outcome:
    """Where the assertion stands: the reason of ``Reconciled`` and ``Ready``, and why."""

    reason: str
    message: str

    @property
    def status(self) -> ConditionStatus:
        """``True`` with results, ``Unknown`` while waiting for them, else ``False``."""
        if self.reason == PROBE_COMPLETE:
            return "True"
        return "Unknown" if self.reason == PROGRESSING else "False"


def condition(
    previous: dict[str, Any] | None,
    *,
    kind: str = CONDITION,
    status: ConditionStatus,
    reason: str,
    message: str,
    generation: int,
    now: str,
) -> Condition:
    """A condition of type ``kind``, keeping ``lastTransitionTime`` unless the status changed."""
    since = now
    kept = (previous or {}).get("lastTransitionTime")
    if previous and previous.get("status") == status and kept and isinstance(kept, str):
        since = kept
    return Condition(
        type=kind,
        status=status,
        reason=reason,
        message=message[:MAX_MESSAGE],
        last_transition_time=since,
        observed_generation=generation,
    )


def previous_condition(
    status: dict[str, Any] | None, kind: str = CONDITION
) -> dict[str, Any] | None:
    """The current condition of type ``kind`` (``Reconciled`` by default), if any."""
    for item in (status or {}).get("conditions") or []:
        if isinstance(item, dict) and item.get("type") == kind:
            return item
    return None


def passing(summary: dict[str, int] | None, generation: int) -> tuple[ConditionStatus, str, str]:
    """(status, reason, message) of ``Passing`` for the counts of the results shown."""
    if summary is None:
        return "Unknown", NO_RESULTS, f"no results of generation {generation}"
    message = summary_message(summary)
    if summary.get("error"):
        return "False", RULES_ERRORING, message
    if summary.get("fail"):
        return "False", RULES_FAILING, message
    if not any(summary.values()):
        return "Unknown", NO_RESULTS, message
    return "True", RULES_PASSING, message


def conditions_for(
    old: dict[str, Any] | None,
    outcome: Outcome,
    verdict: dict[str, int] | None,
    *,
    generation: int,
    now: str,
) -> list[Condition]:
    """Our conditions for ``outcome`` and the ``verdict`` counts (None: no results of this
    spec generation), transition times kept from the ``old`` status."""
    states: list[tuple[str, ConditionStatus, str, str]] = [
        (CONDITION, outcome.status, outcome.reason, outcome.message),
        (READY, outcome.status, outcome.reason, outcome.message),
        (PASSING, *passing(verdict, generation)),
    ]
    if verdict is None and outcome.reason in (PROGRESSING, CONTEXT_NOT_FOUND):
        states.append((RECONCILING, "True", outcome.reason, outcome.message))
    if outcome.reason == INVALID_SPEC:
        states.append((STALLED, "True", outcome.reason, outcome.message))
    return [
        condition(
            previous_condition(old, kind),
            kind=kind,
            status=status,
            reason=reason,
            message=message,
            generation=generation,
            now=now,
        )
        for kind, status, reason, message in states
    ]


def _other_conditions(status: dict[str, Any]) -> list[Any]:
    return [c for c in status.get("conditions") or [] if c.get("type") not in OWN_CONDITIONS]


def assertion_status(
    old: dict[str, Any],
    conditions: list[Condition],
    *,
    generation: int,
    report: dict[str, Any] | None,
    job_name: str | None = None,
) -> dict[str, Any]:
    """The status body: our ``conditions`` first, the report's summary, the run shown."""
    name = job_name or old.get("jobName")
    summary = report_summary(report)
    status = NetworkAssertionStatus(
        observed_generation=generation,
        job_name=name if isinstance(name, str) and name else None,
        conditions=conditions,
        summary=Summary.model_validate(summary) if summary is not None else None,
        last_result_time=last_result_time(report) if summary is not None else None,
        nodes=nodes_summary(report),
    )
    body = status.model_dump(by_alias=True, exclude_none=True)
    body["conditions"] += _other_conditions(old)
    return body


def error_status(assertion: dict[str, Any], message: str, now: str) -> dict[str, Any]:
    """Status after a reconcile failed: ``Reconciled`` and ``Ready`` False with
    ``ReconcileError``; the rest (``Passing`` too) as it was."""
    old = dict(assertion.get("status") or {})
    generation = int(metadata_of(assertion).get("generation") or 1)
    failed = {
        kind: condition(
            previous_condition(old, kind),
            kind=kind,
            status="False",
            reason=RECONCILE_ERROR,
            message=message,
            generation=generation,
            now=now,
        ).model_dump(by_alias=True, exclude_none=True)
        for kind in (CONDITION, READY)
    }
    kept = [c for c in old.get("conditions") or [] if c.get("type") not in failed]
    old["conditions"] = [failed[CONDITION], failed[READY], *kept]
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
