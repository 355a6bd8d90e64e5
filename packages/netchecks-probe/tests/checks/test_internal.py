"""The ``internal`` check: no observation; its rule judges contexts."""

from __future__ import annotations

from netchecks_core.cel import evaluate
from netchecks_core.runnable import RunnableInternal, parse_runnable
from netchecks_probe.checks import internal
from netchecks_probe.checks.base import Deadline


def test_internal_check_observes_nothing_and_its_default_rule_holds() -> None:
    rule = parse_runnable({"type": "internal"})
    assert isinstance(rule, RunnableInternal)

    data = internal.run(rule, Deadline.after(1))

    assert data == {}
    assert evaluate(internal.DEFAULT_RULE, {"data": data}) is True
