"""The chart's alert rules as a Prometheus rule file (rendered by the real Helm engine)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.chart.helm import find, objects

#: The values that switch the rules on (release netchecks in namespace netchecks).
RULE_VALUES = {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}}


def rule_groups(rule_values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The ``spec.groups`` of the chart's PrometheusRule (``rule_values``: prometheusRule.*)."""
    values = {**RULE_VALUES, "prometheusRule": {"enabled": True, **(rule_values or {})}}
    (rule,) = find(objects(values), "PrometheusRule")
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def write_rule_file(path: Path, rule_values: dict[str, Any] | None = None) -> Path:
    """Write the groups as a rule file, as the Prometheus Operator gives them to Prometheus."""
    path.write_text(
        yaml.safe_dump({"groups": rule_groups(rule_values)}, sort_keys=False, width=1000)
    )
    return path


def prometheus_tool(name: str) -> str:
    """The path of ``prometheus`` or ``promtool`` (Debian's `prometheus` package)."""
    found = shutil.which(name)
    assert found, f"{name} is missing: `python3 dev.py setup` installs Debian's prometheus package"
    return found
