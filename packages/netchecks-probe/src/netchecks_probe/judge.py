"""Judging what a check observed with its CEL rule, then applying ``expected``.

A rule that cannot be evaluated (a missing key, a type mismatch) is false, and
the result's message says why; ``expected: fail`` then inverts the verdict, as
the old probe did: a blocked connection has no ``status-code`` to compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netchecks_core.reasons import REASONS
from netchecks_core.rules import RuleBase


def scope(
    data: Mapping[str, Any], spec: Mapping[str, Any], name: str | None, contexts: Mapping[str, Any]
) -> dict[str, Any]:
    """The CEL variables of a rule: ``data``, ``spec``, ``name`` and every context by name.

    A context called ``name`` wins over the rule's name, as in the old probe.
    """
    return {"data": data, "spec": spec, "name": name, **contexts}


@dataclass(frozen=True)
class Verdict:
    """The status of a judged rule and the message for people."""

    status: str
    message: str | None


def judge(
    rule: RuleBase,
    pattern: str,
    data: Mapping[str, Any],
    spec: Mapping[str, Any],
    contexts: Mapping[str, Any],
) -> Verdict:
    """Evaluate ``pattern`` on the check's data; ``pass``/``fail`` after ``expected``."""
    from netchecks_core import cel  # the CEL engine is imported only when judging

    problem: str | None = None
    try:
        value = cel.evaluate(pattern, scope(data, spec, rule.name, contexts))
    except cel.CelEvaluationError as error:
        value, problem = False, f"the rule could not be evaluated: {error.message}"
    if problem is None and not isinstance(value, bool):
        value, problem = False, f"the rule gave {_short(value)}, not true or false"
    held = bool(value)
    expect_fail = rule.expected == "fail"
    status = "pass" if held != expect_fail else "fail"
    return Verdict(status, _message(rule, status, held, problem, data, expect_fail))


def _message(
    rule: RuleBase,
    status: str,
    held: bool,
    problem: str | None,
    data: Mapping[str, Any],
    expect_fail: bool,
) -> str | None:
    parts = [rule.message] if rule.message else []
    if status == "fail":
        if expect_fail:
            parts.append("the check succeeded but was expected to fail")
        elif problem:
            parts.append(problem)
        else:
            parts.append("the rule is false")
        if not expect_fail:
            reason = data.get("reason")
            if isinstance(reason, str) and reason:
                detail = data.get("exception") or REASONS.get(reason, "")
                parts.append(f"reason: {reason}" + (f" ({detail})" if detail else ""))
    elif problem and not held and expect_fail:
        # Passed because the check failed as expected; say so plainly.
        parts.append("the check failed, as expected")
    return "; ".join(str(p) for p in parts) or None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
