"""Checks beyond the CRD schema, before anything is created (pure).

Every rule is checked against its type (fields holding templates are judged
by the probe after rendering), and every CEL rule and ``{{ template }}`` in the
rules and inline contexts must compile. Each problem names its rule.
"""

from __future__ import annotations

from typing import Any

from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.cel import CelError, compile_expression
from netchecks_core.depth import MAX_DEPTH, too_deep
from netchecks_core.errors import describe_errors
from netchecks_core.render import template_problems
from netchecks_core.validation import check_unrendered_rule
from pydantic import ValidationError


def _cel_problems(text: str, what: str) -> list[str]:
    try:
        compile_expression(text)
    except CelError as error:
        return [f"{what}: invalid CEL {text!r}: {error.message}"]
    return []


def parse_spec(raw: Any) -> tuple[NetworkAssertionSpec | None, list[str]]:
    """The spec model, or the problems that keep it from being one."""
    if not isinstance(raw, dict):
        return None, ["spec: must be an object"]
    # Checked first and without recursion: everything after walks the spec recursively.
    if where := too_deep(raw, MAX_DEPTH, "spec"):
        return None, [f"{where}: nested deeper than {MAX_DEPTH} levels"]
    try:
        return NetworkAssertionSpec.model_validate(raw), []
    except ValidationError as error:
        return None, describe_errors(error, "spec")


def spec_problems(spec: NetworkAssertionSpec) -> list[str]:
    """Everything wrong with a parsed spec (empty: fine)."""
    problems: list[str] = []
    for index, rule in enumerate(spec.rules):
        label = f"rule {rule.get('name')!r}" if rule.get("name") else f"spec.rules[{index}]"
        outcome = check_unrendered_rule(rule, label)
        problems.extend(outcome.errors)
        for key in ("validation",):
            if isinstance(rule.get(key), str) and rule[key].strip():
                problems += _cel_problems(rule[key], f"{label}.{key}")
        validate = rule.get("validate")
        if isinstance(validate, dict) and isinstance(validate.get("pattern"), str):
            problems += _cel_problems(validate["pattern"], f"{label}.validate.pattern")
        templated = {k: v for k, v in rule.items() if k not in {"validation", "validate"}}
        problems += template_problems(templated, label)
    for context in spec.context:
        if context.inline is not None:
            problems += template_problems(context.inline, f"context {context.name!r}")
    return problems
