"""``netchecks validate``: every problem of a config or manifest, with its location; runs nothing.

Checked: the document's shape, each rule against its type (fields whose value
is a template are judged only after rendering, so not here), every CEL rule and
every template compiles, and templates and rules use only known names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netchecks_core import cel
from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.errors import describe_errors
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.render import template_problems
from netchecks_core.templates import has_template
from netchecks_core.validation import check_unrendered_rule
from pydantic import ValidationError

#: Variables every CEL rule has besides the contexts.
RESULT_NAMES = frozenset({"data", "spec", "name"})


@dataclass
class Report:
    """Problems (the input is wrong) and warnings (it works, but look)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rules: int = 0


def validate_config(document: Any) -> Report:
    """Check a probe config document."""
    report = Report()
    if not isinstance(document, dict):
        report.problems.append("(document): a probe config is an object with 'assertions'")
        return report
    try:
        ProbeConfig.model_validate(document)
    except ValidationError as error:
        report.problems.extend(describe_errors(error))
    contexts = document.get("contexts")
    names: list[str] = []
    for index, context in enumerate(contexts if isinstance(contexts, list) else []):
        if not isinstance(context, dict):
            continue
        if context.get("type") == "inline":
            where = f"contexts[{index}].data"
            report.problems.extend(template_problems(context.get("data"), where, frozenset(names)))
        if isinstance(context.get("name"), str):
            names.append(context["name"])
    assertions = document.get("assertions")
    for a_index, assertion in enumerate(assertions if isinstance(assertions, list) else []):
        rules = assertion.get("rules") if isinstance(assertion, dict) else None
        for r_index, rule in enumerate(rules if isinstance(rules, list) else []):
            _check_rule(rule, f"assertions[{a_index}].rules[{r_index}]", set(names), report)
    return report


def validate_manifest(document: dict[str, Any]) -> Report:
    """Check a NetworkAssertion document (its ``spec``)."""
    report = Report()
    spec = document.get("spec")
    if not isinstance(spec, dict):
        report.problems.append("spec: is required (an object with 'rules')")
        return report
    try:
        NetworkAssertionSpec.model_validate(spec)
    except ValidationError as error:
        report.problems.extend(describe_errors(error, "spec"))
    names: list[str] = []
    contexts = spec.get("context")
    for index, context in enumerate(contexts if isinstance(contexts, list) else []):
        if not isinstance(context, dict):
            continue
        if "inline" in context:
            where = f"spec.context[{index}].inline"
            report.problems.extend(template_problems(context["inline"], where, frozenset(names)))
        if isinstance(context.get("name"), str):
            names.append(context["name"])
    rules = spec.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        _check_rule(rule, f"spec.rules[{index}]", set(names), report)
    return report


def _check_rule(raw: Any, where: str, contexts: set[str], report: Report) -> None:
    report.rules += 1
    outcome = check_unrendered_rule(raw, where)
    report.problems.extend(outcome.errors)
    report.warnings.extend(outcome.warnings)
    if not isinstance(raw, dict):
        return
    report.problems.extend(template_problems(raw, where, frozenset(contexts)))
    for field_name, pattern in _patterns(raw):
        if not isinstance(pattern, str) or has_template(pattern):
            continue  # a templated rule is compiled after rendering
        try:
            unknown = cel.free_names(pattern) - RESULT_NAMES - contexts
        except cel.CelSyntaxError as error:
            report.problems.append(f"{where}.{field_name}: {error.message}")
            continue
        if unknown:
            known = ", ".join(sorted(RESULT_NAMES | contexts))
            report.problems.append(
                f"{where}.{field_name}: uses unknown name(s) {', '.join(sorted(unknown))} "
                f"(known: {known})"
            )


def _patterns(raw: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if raw.get("validation") is not None:
        found.append(("validation", raw["validation"]))
    validate = raw.get("validate")
    if isinstance(validate, dict) and validate.get("pattern") is not None:
        found.append(("validate.pattern", validate["pattern"]))
    return found
