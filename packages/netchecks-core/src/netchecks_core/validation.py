"""Checking one rule against its type, before or after its templates are rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from netchecks_core.errors import describe_errors
from netchecks_core.rules import RULE_ADAPTER, Rule
from netchecks_core.templates import has_template


@dataclass(frozen=True)
class RuleProblems:
    """The outcome of checking a rule: its model when valid, else what is wrong."""

    rule: Rule | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_rule(raw: Any, prefix: str = "") -> RuleProblems:
    """Validate a rendered rule; unknown fields become warnings, not errors."""
    if not isinstance(raw, dict):
        return RuleProblems(None, [f"{prefix or 'rule'}: must be an object, got {_kind(raw)}"])
    try:
        rule = RULE_ADAPTER.validate_python(raw)
    except ValidationError as error:
        return RuleProblems(None, describe_errors(error, prefix))
    where = f"{prefix}." if prefix else ""
    warnings = [f"{where}{name}: unknown field (kept, not used)" for name in rule.unknown_fields]
    return RuleProblems(rule, [], warnings)


def check_unrendered_rule(raw: Any, prefix: str = "") -> RuleProblems:
    """Validate a rule whose templates are not rendered yet.

    A field whose value holds a template cannot be judged before the probe
    renders it, so errors about such values are not reported.
    """
    outcome = parse_rule(raw, prefix)
    if outcome.rule is not None or not isinstance(raw, dict):
        return outcome
    try:
        RULE_ADAPTER.validate_python(raw)
    except ValidationError as error:
        kept = [e for e in error.errors() if not has_template(e.get("input"))]
        if not kept:
            return RuleProblems(None, [], outcome.warnings)
        return RuleProblems(None, describe_errors(kept, prefix))
    return outcome  # pragma: no cover - validate_python raised above


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
