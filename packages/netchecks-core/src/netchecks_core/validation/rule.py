"""Checking one rule's fields against its type, before or after its templates are rendered."""

from __future__ import annotations

import copy
import json
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netchecks_core.errors import describe, display_path
from netchecks_core.runnable import RUNNABLE_TYPES
from netchecks_core.templates import has_template, whole_template
from netchecks_core.validation.problems import Problem, did_you_mean

if TYPE_CHECKING:  # the models are imported when a rule is checked by them (not on every run)
    from pydantic import BaseModel
    from pydantic_core import ErrorDetails

    from netchecks_core.rules import Rule


@dataclass(frozen=True)
class RuleProblems:
    """The outcome of checking a rule: its model when valid, else what is wrong."""

    rule: Rule | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Each problem as ``path: message``."""
        return [str(p) for p in self.problems]

    @property
    def warnings(self) -> list[str]:
        """Always empty: unknown fields, once warnings, are errors now."""
        return []


def parse_rule(raw: Any, prefix: str = "") -> RuleProblems:
    """Validate a rendered rule against its type (unknown fields are errors)."""
    if not isinstance(raw, dict):
        return RuleProblems(
            None, [Problem(prefix or "rule", f"must be an object, got {kind(raw)}")]
        )
    rule, errors = _validate(raw)
    return RuleProblems(rule, model_problems(errors, prefix, _rule_model(raw)))


def _validate(raw: dict[str, Any]) -> tuple[Rule | None, list[ErrorDetails]]:
    """The rule model of ``raw``, or pydantic's errors (validated once)."""
    from pydantic import ValidationError

    from netchecks_core.rules import RULE_ADAPTER

    try:
        return RULE_ADAPTER.validate_python(raw), []
    except ValidationError as error:
        return None, error.errors()


def parse_rendered_rule(template: Any, rendered: Any, prefix: str = "") -> RuleProblems:
    """:func:`parse_rule` of ``template`` rendered, coercing as 0.10 did.

    Where a string field's whole value is one template that gave a number or a
    bool (``X-N: "{{ c.n }}"`` with ``n: 5``), the value becomes its JSON text
    (``"5"``, ``"true"``). Literal values are never coerced.
    """
    if not isinstance(rendered, dict):
        return parse_rule(rendered, prefix)
    rule, errors = _validate(rendered)
    coerced = _coerced(template, rendered, errors)
    if coerced is not None:
        return parse_rule(coerced, prefix)
    return RuleProblems(rule, model_problems(errors, prefix, _rule_model(rendered)))


def _coerced(template: Any, rendered: dict[str, Any], errors: list[ErrorDetails]) -> Any:
    """``rendered`` with whole-template numbers and bools that should be strings as text.

    None when no error is about such a value.
    """
    coerced, changed = None, False
    for item in errors:
        path = item["loc"][1:]  # the first is the type's tag
        value = item.get("input")
        if item["type"] != "string_type" or not isinstance(value, bool | int | float):
            continue
        source = _at(template, path)
        if isinstance(source, str) and whole_template(source) is not None:
            coerced = copy.deepcopy(rendered) if coerced is None else coerced
            changed |= _put(coerced, path, json.dumps(value))
    return coerced if changed else None


def _at(value: Any, path: Sequence[int | str]) -> Any:
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _put(value: Any, path: Sequence[int | str], new: Any) -> bool:
    parent = _at(value, path[:-1])
    if isinstance(parent, dict) and path[-1] in parent:
        parent[path[-1]] = new
        return True
    if isinstance(parent, list) and isinstance(path[-1], int):
        parent[path[-1]] = new
        return True
    return False


def check_unrendered_rule(raw: Any, prefix: str = "") -> RuleProblems:
    """Validate a rule whose templates are not rendered yet.

    A value holding a template cannot be judged before the probe renders it,
    so errors about such values are left out; an unknown field is an error
    whatever its value.
    """
    if not isinstance(raw, dict):
        return parse_rule(raw, prefix)
    rule, errors = _validate(raw)
    kept = [e for e in errors if e["type"] == "extra_forbidden" or not has_template(e.get("input"))]
    return RuleProblems(rule, model_problems(kept, prefix, _rule_model(raw)))


def model_problems(
    errors: Iterable[ErrorDetails], prefix: str, model: type[BaseModel] | None
) -> list[Problem]:
    """Pydantic errors as problems; an unknown field gets a did-you-mean from ``model``."""
    problems = []
    for error in errors:
        message = describe(error)
        if error["type"] == "extra_forbidden" and model is not None:
            known = fields_at(model, _without_tag(error["loc"])[:-1])
            message = "unknown field" + did_you_mean(str(error["loc"][-1]), known)
        problems.append(Problem(display_path(error["loc"], prefix), message))
    return problems


def fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> set[str]:
    """The field names (wire spelling) of the model found at ``loc`` under ``model``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        info = next(
            (f for n, f in current.model_fields.items() if part in (n, f.alias)),
            None,
        )
        current = _model_in(info.annotation) if info is not None else None
    if current is None:
        return set()
    return {f.alias or n for n, f in current.model_fields.items()}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside a (possibly optional, listed or annotated) type."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, typing.Annotated):
        for argument in typing.get_args(annotation):
            if (found := _model_in(argument)) is not None:
                return found
    return None


def _rule_model(raw: dict[str, Any]) -> type[BaseModel] | None:
    from netchecks_core.rules import RULE_MODELS

    rule_type = raw.get("type")
    return RULE_MODELS.get(rule_type) if isinstance(rule_type, str) else None


def _without_tag(loc: Sequence[int | str]) -> Sequence[int | str]:
    # A discriminated union puts the tag ("http") first in the location.
    return loc[1:] if loc and loc[0] in RUNNABLE_TYPES else loc


def kind(value: Any) -> str:
    """How people call a JSON value's type."""
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
