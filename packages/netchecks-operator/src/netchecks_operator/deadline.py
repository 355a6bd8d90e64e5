"""How long a probe run may take (pure): the probe's ``--run-timeout``.

The run's Job gets this plus the operator's ``run_deadline_margin`` as its deadline.
"""

from __future__ import annotations

import math
from typing import Any, get_args

from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.rules import Rule, RuleBase

#: Rules the probe runs at once (its ``--parallelism`` default); more rules run in waves.
PROBE_PARALLELISM = 32
#: Seconds each attempt may take beyond its timeout (starting and judging the check, the
#: runner's grace before it abandons one): a rule's own timeout must end before the run's.
ATTEMPT_SLACK_SECONDS = 2


def _upper_bound(field: str) -> float:
    """The largest value the rule model accepts for ``field``: a templated value's bound."""
    for item in RuleBase.model_fields[field].metadata:
        bound = getattr(item, "le", None)
        if isinstance(bound, int | float):
            return float(bound)
    raise LookupError(f"the rule model gives {field!r} no upper bound")


def _default_timeouts() -> dict[str, float]:
    classes = get_args(get_args(Rule)[0])
    return {get_args(c.model_fields["type"].annotation)[0]: c.DEFAULT_TIMEOUT for c in classes}


_DEFAULT_TIMEOUTS = _default_timeouts()


def _number(rule: dict[str, Any], key: str, field: str, default: float) -> float:
    raw = rule.get(key)
    if raw is None:
        return default
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    return _upper_bound(field)  # a template: known only in the probe, so its bound


def rule_seconds(rule: dict[str, Any]) -> float:
    """The longest a rule may run: every attempt's timeout (and slack) and retry delays."""
    rule_type = rule.get("type")
    default = _DEFAULT_TIMEOUTS.get(rule_type) if isinstance(rule_type, str) else None
    timeout = _number(rule, "timeout", "timeout", default or max(_DEFAULT_TIMEOUTS.values()))
    retries = _number(rule, "retries", "retries", 0)
    delay = _number(
        rule, "retry-delay", "retry_delay", RuleBase.model_fields["retry_delay"].default
    )
    return (timeout + ATTEMPT_SLACK_SECONDS) * (retries + 1) + delay * retries


def run_timeout(spec: NetworkAssertionSpec) -> int:
    """The probe's ``--run-timeout``: the longest rule, once per wave of concurrent rules.

    With ``n`` rules and ``p`` at a time, the ``k``-th rule starts by wave ``k // p``,
    so ``ceil(n / p)`` times the longest rule bounds the run.
    """
    longest = max((rule_seconds(rule) for rule in spec.rules), default=0.0)
    waves = max(1, math.ceil(len(spec.rules) / PROBE_PARALLELISM))
    return math.ceil(waves * longest)
