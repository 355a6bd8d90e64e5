"""The plan refuses a spec whose children the API server could not store."""

from __future__ import annotations

import json
from typing import Any

from netchecks_operator.plan import Observed, Plan, plan
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.sizes import MAX_CONFIGMAP_DATA_BYTES, size_problems

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:00Z"
MiB = 1024 * 1024


def run(obj: dict[str, Any]) -> Plan:
    return plan(Observed(assertion=obj), OperatorSettings().plan_settings(), NOW)


def test_a_probe_config_over_1_mib_is_invalid_spec_before_any_child() -> None:
    """1.2 MiB of inline context: the assertion itself is storable (under etcd's 1.5 MiB),
    its ConfigMap is not (ConfigMap data is at most 1 MiB)."""
    big = {"blob": "x" * (MiB + MiB // 5)}
    obj = AssertionBuilder("big").with_internal().with_context("blobs", inline=big).stored()
    assert len(json.dumps(obj).encode()) < 1536 * 1024
    result = run(obj)
    assert result.actions == []
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InvalidSpec")
    assert "the probe config is 1.20 MiB" in cond["message"]
    assert "at most 1.00 MiB of data per ConfigMap" in cond["message"]
    assert [e.reason for e in result.events] == ["InvalidSpec"]


def test_a_probe_config_just_under_the_limit_is_written() -> None:
    obj = (
        AssertionBuilder("ok")
        .with_internal()
        .with_context("blobs", inline={"blob": "x" * (MiB - 4096)})
    )
    result = run(obj.stored())
    assert [a.kind for a in result.actions] == ["ConfigMap", "Job"]
    assert result.actions[0].body is not None
    data = result.actions[0].body["data"]["config.json"]
    assert len(data.encode()) <= MAX_CONFIGMAP_DATA_BYTES


def test_a_pod_template_too_large_for_etcd_is_reported() -> None:
    template = {"metadata": {"annotations": {"a": "x" * (1536 * 1024)}}}
    problems = size_problems("{}", template)
    assert len(problems) == 1
    assert problems[0].startswith("the probe Pod template is 1.50 MiB")
    assert "~1.50 MiB per object" in problems[0]
