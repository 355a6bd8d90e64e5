"""Whole documents: a NetworkAssertion (or just its spec) and a probe config.

Each problem names its field path, and each rule's problems carry the rule's
index, so ``netchecks run`` can run the valid rules of a partly invalid file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netchecks_core.convert import result_names
from netchecks_core.depth import MAX_DEPTH, too_deep
from netchecks_core.meta import metadata_of
from netchecks_core.runnable import lean_config, lean_rule
from netchecks_core.templates import has_template
from netchecks_core.validation.expressions import RESULT_NAMES, cel_problems, template_problems
from netchecks_core.validation.problems import Problem, Report
from netchecks_core.validation.rule import check_unrendered_rule, kind, model_problems
from netchecks_core.validation.schedule import schedule_problem

if TYPE_CHECKING:
    # Imported where manifests are checked: a probe config's run needs none of their models
    # (nor pydantic, when the lean checks vouch for it: see netchecks_core.runnable).
    from pydantic import BaseModel

    from netchecks_core.assertion import NetworkAssertionSpec

#: Fields holding a rule's CEL judgement (not templates: they are compiled as CEL).
_PATTERNS = (("validation",), ("validate", "pattern"))


def validate_manifest(document: Any) -> Report:
    """Check a NetworkAssertion document: its kind, name and spec."""
    from netchecks_core.assertion import API_VERSION, KIND

    if not isinstance(document, dict):
        return Report([Problem("(document)", f"must be an object, got {kind(document)}")])
    api_version, document_kind = document.get("apiVersion"), document.get("kind")
    if (api_version, document_kind) != (API_VERSION, KIND):
        message = (
            f"{api_version!r} {document_kind!r} is not a NetworkAssertion "
            f"(apiVersion: {API_VERSION}, kind: {KIND})"
        )
        return Report([Problem("apiVersion", message)])
    problems = []
    name = metadata_of(document).get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem("metadata.name", "is required"))
    spec = document.get("spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    if not isinstance(rules, list):
        return Report(problems + spec_problems(spec))
    return Report(problems + spec_problems(spec), len(rules), repeated_name_warnings(rules))


def repeated_name_warnings(rules: list[Any], where: str = "spec.rules") -> list[Problem]:
    """A warning for each rule whose name an earlier rule has (0.10 accepted it)."""
    first: dict[str, int] = {}
    warnings = []
    for index, (rule, result_name) in enumerate(zip(rules, result_names(rules), strict=True)):
        name = rule.get("name") if isinstance(rule, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            message = (
                f"rule name {name!r} is used before ({where}[{first[name]}]); "
                f"its results are named {result_name!r}"
            )
            warnings.append(Problem(f"{where}[{index}].name", message, (index,)))
        first.setdefault(name, index)
    return warnings


def check_spec(raw: Any) -> tuple[NetworkAssertionSpec | None, list[Problem]]:
    """The spec model when nothing is wrong with it, else its problems."""
    from netchecks_core.assertion import NetworkAssertionSpec

    problems = spec_problems(raw)
    if problems:
        return None, problems
    return NetworkAssertionSpec.model_validate(raw), []


def spec_problems(raw: Any, where: str = "spec") -> list[Problem]:
    """Everything wrong with a NetworkAssertion's spec (empty: it is valid)."""
    if not isinstance(raw, dict):
        what = "is required" if raw is None else f"must be an object, got {kind(raw)}"
        return [Problem(where, f"{what} (an object with 'rules')")]
    # Checked first and without recursion: everything after walks the spec recursively.
    if deep := too_deep(raw, MAX_DEPTH, where):
        return [Problem(deep, f"nested deeper than {MAX_DEPTH} levels")]
    from netchecks_core.assertion import NetworkAssertionSpec

    problems = _model_problems(NetworkAssertionSpec, raw, where, "rules")
    schedule = raw.get("schedule")
    if isinstance(schedule, str) and (problem := schedule_problem(schedule)):
        problems.append(Problem(f"{where}.schedule", problem))
    names = _context_names(raw.get("context"), "inline", f"{where}.context", problems)
    rules = raw.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        problems += rule_problems(rule, f"{where}.rules[{index}]", names, (index,), named=True)
    return problems


def validate_config(document: Any) -> Report:
    """Check a probe config document (what ``netchecks run --config`` reads)."""
    if not isinstance(document, dict):
        message = f"a probe config is an object with 'assertions', got {kind(document)}"
        return Report([Problem("(document)", message)])
    problems = [] if lean_config(document) is not None else _config_problems(document)
    names = _context_names(document.get("contexts"), "data", "contexts", problems)
    assertions = document.get("assertions")
    count = 0
    for a_index, assertion in enumerate(assertions if isinstance(assertions, list) else []):
        rules = assertion.get("rules") if isinstance(assertion, dict) else None
        for r_index, rule in enumerate(rules if isinstance(rules, list) else []):
            where = f"assertions[{a_index}].rules[{r_index}]"
            problems += rule_problems(rule, where, names, (a_index, r_index), named=False)
            count += 1
    return Report(problems, count)


def rule_problems(
    raw: Any, where: str, contexts: frozenset[str], index: tuple[int, ...], *, named: bool
) -> list[Problem]:
    """Everything wrong with one unrendered rule (``named``: a name is required)."""
    problems = _name_problems(raw, where, named)
    if lean_rule(raw) is None:  # not plainly valid: the models say what is wrong, if anything
        problems += check_unrendered_rule(raw, where).problems
    if isinstance(raw, dict):
        problems += template_problems(raw, where, contexts)
        check_type = raw.get("type") if isinstance(raw.get("type"), str) else None
        for path in _PATTERNS:
            pattern = _get(raw, path)
            if isinstance(pattern, str) and pattern.strip() and not has_template(pattern):
                label = ".".join((where, *path))
                problems += cel_problems(pattern, label, contexts | RESULT_NAMES, check_type)
    return [Problem(p.path, p.message, index) for p in problems]


def _name_problems(raw: Any, where: str, named: bool) -> list[Problem]:
    name = raw.get("name") if isinstance(raw, dict) else None
    if named and isinstance(raw, dict) and name is None:
        return [Problem(f"{where}.name", "is required")]
    if isinstance(name, str) and "{{" in name:
        message = "a rule name is literal: it cannot hold a template, since results are named by it"
        return [Problem(f"{where}.name", message)]
    return []


def _context_names(
    contexts: Any, data_key: str, where: str, problems: list[Problem]
) -> frozenset[str]:
    """Context names in order; templates in inline data may use the ones before them."""
    names: list[str] = []
    for index, context in enumerate(contexts if isinstance(contexts, list) else []):
        if not isinstance(context, dict):
            continue
        if context.get(data_key) is not None:
            path = f"{where}[{index}].{data_key}"
            problems += template_problems(context[data_key], path, frozenset(names))
        if isinstance(context.get("name"), str):
            names.append(context["name"])
    return frozenset(names)


def _config_problems(document: dict[str, Any]) -> list[Problem]:
    from netchecks_core.probe_config import ProbeConfig

    return _model_problems(ProbeConfig, document, "", "assertions")


def _model_problems(
    model: type[BaseModel], raw: dict[str, Any], where: str, rules: str
) -> list[Problem]:
    """The model's problems, except those inside rules (each rule is checked on its own)."""
    from pydantic import ValidationError

    try:
        model.model_validate(raw)
    except ValidationError as error:
        kept = [e for e in error.errors() if not _inside_rules(e["loc"], rules)]
        return model_problems(kept, where, model)
    return []


def _inside_rules(loc: tuple[int | str, ...], rules: str) -> bool:
    if rules == "rules":
        return len(loc) > 1 and loc[0] == "rules"
    return len(loc) > 3 and loc[0] == rules and loc[2] == "rules"


def _get(raw: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = raw
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value
