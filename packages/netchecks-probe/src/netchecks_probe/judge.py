"""Judging what a check observed: evaluate its CEL rule, then apply the verdict model.

The model itself (pass, fail, error; ``expected: fail`` never touches ``error``)
is :func:`netchecks_core.verdict.decide`; this module only runs the CEL engine
and words its errors (a missing key names the closest field of the check type).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netchecks_core.runnable import RunnableRule
from netchecks_core.verdict import CelOutcome, Verdict, decide, missing_data_key_message


def scope(
    data: Mapping[str, Any], spec: Mapping[str, Any], name: str | None, contexts: Mapping[str, Any]
) -> dict[str, Any]:
    """The CEL variables of a rule: ``data``, ``spec``, ``name`` and every context by name.

    A context called ``name`` wins over the rule's name, as in the old probe.
    """
    return {"data": data, "spec": spec, "name": name, **contexts}


def judge(
    rule: RunnableRule,
    pattern: str,
    data: Mapping[str, Any],
    spec: Mapping[str, Any],
    contexts: Mapping[str, Any],
) -> Verdict:
    """Evaluate ``pattern`` on the check's data and decide the rule's verdict."""
    outcome = evaluate_rule(rule.type, pattern, scope(data, spec, rule.name, contexts))
    verdict = decide(data=data, cel=outcome, expected=rule.expected)
    return with_rule_message(rule, verdict)


def evaluate_rule(check_type: str, pattern: str, variables: Mapping[str, Any]) -> CelOutcome:
    """The outcome of a rule's CEL expression; an error says what it could not find."""
    from netchecks_core.cel_native import NotNativeError, evaluate_native

    try:
        return CelOutcome(value=evaluate_native(pattern, variables))
    except NotNativeError:
        pass  # cel-python's to judge
    from netchecks_core import cel  # the CEL engine is imported only when judging

    try:
        return CelOutcome(value=cel.evaluate(pattern, variables))
    except cel.CelEvaluationError as error:
        key = error.missing_key
        explained = missing_data_key_message(check_type, pattern, key) if key else None
        return CelOutcome(
            error=explained or error.message,
            missing_key=key,
            concerns_response=_concerns_response(error, explained, pattern),
        )


def _concerns_response(error: Exception, explained: str | None, pattern: str) -> bool:
    """Whether an evaluation error may come from ``data`` lacking a response's content.

    A missing key is blamed on ``data`` only when the rule reads it from there; an error
    without a key (an index past an empty list, no overload for a null) when the rule
    reads ``data`` at all. A rule over its budget is broken whatever the response.
    """
    from netchecks_core import cel

    if isinstance(error, cel.CelBudgetError):
        return False
    if getattr(error, "missing_key", None):
        return explained is not None
    return "data" in cel.free_names(pattern)


def with_rule_message(rule: RunnableRule, verdict: Verdict) -> Verdict:
    """The verdict with the rule's ``validate.message`` in front of its own sentence."""
    if not rule.message:
        return verdict
    message = "; ".join(p for p in (rule.message, verdict.message) if p)
    return Verdict(verdict.status, message)
