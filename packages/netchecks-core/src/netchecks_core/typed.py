"""Typed access to rules: each rule dict of a spec or probe config as its type's model.

``spec.rules`` stays a list of dicts (the probe renders templates before a rule
is typed); :func:`typed_rules` gives the models of :mod:`netchecks_core.rules`
(:class:`~netchecks_core.rules.DnsRule`, :class:`~netchecks_core.rules.HttpRule`, ...),
checked by the one validator. A template in a text field (a URL, a host) is kept
as text; a rule with a template where a number or a flag belongs
(``port: "{{ db.port }}"``) is a :class:`TemplatedRule` until the probe renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from netchecks_core.errors import NetchecksError, display_path
from netchecks_core.rules import RULE_ADAPTER, Rule
from netchecks_core.validation import Problem, check_unrendered_rule


@dataclass(frozen=True)
class TemplatedRule:
    """A rule whose value of some non-text field is a ``{{ }}`` template, known at run time."""

    #: The rule's type (``tcp``).
    type: str
    #: The rule's name, if it has one.
    name: str | None
    #: The rule as written.
    raw: dict[str, Any]
    #: The fields that can be typed only once rendered (``port``).
    templated: tuple[str, ...]


class RuleError(NetchecksError, ValueError):
    """A rule does not fit its type; :attr:`problems` says what is wrong, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def typed_rules(rules: Iterable[Any], where: str = "rules") -> list[Rule | TemplatedRule]:
    """Each rule as its type's model (or a :class:`TemplatedRule`), in order.

    Args:
        rules: rule dicts as written (``spec.rules``, a probe config assertion's ``rules``).
        where: the field path of the list, to name problems (``spec.rules[2].port``).

    Raises:
        RuleError: a rule does not fit its type (what the validator reports for it).
    """
    typed: list[Rule | TemplatedRule] = []
    for index, raw in enumerate(rules):
        checked = check_unrendered_rule(raw, f"{where}[{index}]")
        if checked.problems:
            raise RuleError(checked.problems)
        typed.append(checked.rule if checked.rule is not None else _templated(raw))
    return typed


def _templated(raw: dict[str, Any]) -> TemplatedRule:
    """The rule the validator accepted but could not type: its templated fields failed."""
    fields: tuple[str, ...] = ()
    try:
        RULE_ADAPTER.validate_python(raw)
    except ValidationError as error:
        fields = tuple(sorted({display_path(e["loc"]) for e in error.errors()}))
    name = raw.get("name")
    return TemplatedRule(str(raw["type"]), name if isinstance(name, str) else None, raw, fields)
