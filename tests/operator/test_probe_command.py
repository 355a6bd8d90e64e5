"""The operator's probe command, read by the probe's own argument parser (one deadline per run)."""

from __future__ import annotations

from typing import Any

from netchecks_operator.plan import Observed, plan
from netchecks_operator.podtemplate import PROBE_CONTAINER
from netchecks_operator.settings import OperatorSettings
from netchecks_probe.cli import build_parser

from tools.builders import AssertionBuilder


def _probe_command(obj: dict[str, Any]) -> list[str]:
    settings = OperatorSettings().plan_settings()
    result = plan(Observed(assertion=obj), settings, "2026-01-01T00:00:00Z")
    job = next(a.body for a in result.actions if a.kind == "Job")
    assert job is not None
    containers = job["spec"]["template"]["spec"]["containers"]
    command: list[str] = next(c for c in containers if c["name"] == PROBE_CONTAINER)["command"]
    return command


def test_a_rule_longer_than_the_probes_default_gets_a_longer_run_timeout() -> None:
    obj = AssertionBuilder("slow").with_http("http://a/", timeout=1200).stored()
    command = _probe_command(obj)
    assert command[0] == "netchecks"
    args = build_parser().parse_args(command[1:])
    default = build_parser().parse_args(["run", "--config", "x"]).run_timeout
    assert default == 600
    assert args.run_timeout >= 1200 > default
