"""Events about results: one when an assertion's outcome changes, never one per run (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from netchecks_core.policyreport import RESULT_STATUSES

from netchecks_results.runs import RunFailure

#: Rules named in an event message at most.
MAX_NAMED_RULES = 10


@dataclass(frozen=True)
class OutcomeEvent:
    """An Event to post on the assertion."""

    type: str
    reason: str
    message: str


def _counts(outcome: dict[str, str]) -> str:
    counts: dict[str, int] = dict.fromkeys(RESULT_STATUSES, 0)
    for status in outcome.values():
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "no results"


def _names(outcome: dict[str, str], status: str) -> str:
    names = [rule for rule, result in outcome.items() if result == status]
    shown = ", ".join(names[:MAX_NAMED_RULES])
    return shown + (
        f" and {len(names) - MAX_NAMED_RULES} more" if len(names) > MAX_NAMED_RULES else ""
    )


def outcome_event(
    previous: dict[str, str] | None,
    current: dict[str, str],
    failure: RunFailure | None = None,
) -> OutcomeEvent | None:
    """The Event for a change from ``previous`` to ``current`` (rule -> result), or None."""
    if previous == current:
        return None
    was = f" (was: {_counts(previous)})" if previous is not None else ""
    if failure is not None:
        return OutcomeEvent("Warning", "ProbeRunFailed", f"{failure.message[:400]}{was}")
    failing, errors = _names(current, "fail"), _names(current, "error")
    if failing or errors:
        parts = [_counts(current)]
        if failing:
            parts.append(f"failing: {failing}")
        if errors:
            parts.append(f"errors: {errors}")
        return OutcomeEvent("Warning", "ChecksFailing", "; ".join(parts) + was)
    return OutcomeEvent("Normal", "ChecksPassing", f"all {len(current)} rules pass{was}")
