"""Helpers of the probe's tests: run one check as the runner does, read the CLI's output."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from types import ModuleType
from typing import Any

from netchecks_core.cel import evaluate
from netchecks_core.reasons import REASONS
from netchecks_core.runnable import parse_runnable
from netchecks_probe.checks.base import Deadline


def run_check(module: ModuleType, rule_type: str, deadline: float, **fields: Any) -> dict[str, Any]:
    """Run ``module``'s check on a ``rule_type`` rule of ``fields`` within a run of ``deadline`` s.

    Also asserts what every check's data must be: JSON-safe, with a known ``reason``, and
    timestamps of its network exchange (if any) in order; they are left out of the data
    returned, as the runner moves them to the result's own place.
    """
    rule = parse_runnable({"type": rule_type, **fields})
    assert rule.type == rule_type
    # As the runner does: the rule's timeout, within the run's deadline.
    data: dict[str, Any] = module.run(
        rule, Deadline.after(deadline).for_rule(rule.effective_timeout)
    )
    json.dumps(data, allow_nan=False)  # data is always JSON-safe
    if "reason" in data:
        assert data["reason"] in REASONS
    started, ended = data.pop("startTimestamp", None), data.pop("endTimestamp", None)
    assert (started is None) == (ended is None)
    if started is not None:
        assert datetime.fromisoformat(started) <= datetime.fromisoformat(ended)
    return data


def passes(expression: str, data: dict[str, Any]) -> bool:
    """Whether the CEL ``expression`` holds on a check's ``data``."""
    return evaluate(expression, {"data": data}) is True


def output_of(done: subprocess.CompletedProcess[str], **loads: Any) -> dict[str, Any]:
    """The output document ``netchecks run`` printed: its last line of stdout."""
    document: dict[str, Any] = json.loads(done.stdout.splitlines()[-1], **loads)
    return document


def results_of(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """Every rule's result of the output document, in order."""
    return [r for a in output_of(done)["assertions"] for r in a["results"]]
