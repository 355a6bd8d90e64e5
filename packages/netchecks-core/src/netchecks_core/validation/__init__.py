"""The one validator: ``netchecks validate``, ``netchecks run`` and the operator all ask it.

It checks, without running or evaluating anything:

- every field against its rule type (unknown fields are errors, with a did-you-mean),
  and the spec and contexts against their models;
- ``spec.schedule`` as Kubernetes' CronJob grammar (:mod:`.schedule`);
- every ``{{ template }}`` (closed, compiles, uses known contexts) and every CEL
  rule (compiles, calls known functions, uses known names, reads only the
  ``data`` fields its check type sets) (:mod:`.expressions`);
- rule names are literal and, in a NetworkAssertion, given.

Each :class:`Problem` names its field path (``spec.rules[0].validation``) and
the rule it belongs to.
"""

from __future__ import annotations

from netchecks_core.validation.documents import (
    check_spec,
    rule_problems,
    spec_problems,
    validate_config,
    validate_manifest,
)
from netchecks_core.validation.problems import Problem, Report
from netchecks_core.validation.rule import (
    RuleProblems,
    check_unrendered_rule,
    parse_rendered_rule,
    parse_rule,
)
from netchecks_core.validation.schedule import schedule_problem

__all__ = [
    "Problem",
    "Report",
    "RuleProblems",
    "check_spec",
    "check_unrendered_rule",
    "parse_rendered_rule",
    "parse_rule",
    "rule_problems",
    "schedule_problem",
    "spec_problems",
    "validate_config",
    "validate_manifest",
]
