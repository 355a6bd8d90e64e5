"""Assertions written for Netchecks 0.10 plan as they ran there (issue 14)."""

from __future__ import annotations

import json
import re
from typing import Any

from netchecks_operator import __version__
from netchecks_operator.plan import Observed, plan
from netchecks_operator.settings import OperatorSettings

from tools.builders import AssertionBuilder

SETTINGS = OperatorSettings()
NOW = "2026-02-02T10:00:00Z"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _planned(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The probe config and the probe Pod template planned for ``obj``."""
    result = plan(Observed(assertion=obj), SETTINGS.plan_settings(), NOW)
    bodies = {a.kind: a.body for a in result.actions if a.body is not None}
    assert "Job" in bodies, result
    config = json.loads(next(iter(bodies["ConfigMap"]["data"].values())))
    return config, bodies["Job"]["spec"]["template"]


def test_repeated_rule_names_run_every_rule_under_its_own_result_name() -> None:
    obj = (
        AssertionBuilder("dns-restrictions")
        .with_dns("kubernetes.default", name="svc-lookup")
        .with_dns("kubernetes.default.svc", name="svc-lookup")
        .stored()
    )
    config, _ = _planned(obj)
    assert [(a["name"], a["rules"][0]["host"]) for a in config["assertions"]] == [
        ("svc-lookup", "kubernetes.default"),
        ("svc-lookup#2", "kubernetes.default.svc"),
    ]


def test_contexts_without_name_mount_the_object_named_like_the_context() -> None:
    obj = (
        AssertionBuilder("with-data")
        .with_context("customData", configMap={"optional": True})
        .with_context("apiCreds", secret={})
        .with_http("http://example/{{ customData.path }}")
        .stored()
    )
    config, template = _planned(obj)
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    by_source = {
        (v.get("configMap") or {}).get("name") or (v.get("secret") or {}).get("secretName"): name
        for name, v in volumes.items()
    }
    assert {"customData", "apiCreds"} <= set(by_source)
    for name in volumes:
        assert DNS_LABEL.match(name) and len(name) <= 63, name
    assert volumes[by_source["customData"]]["configMap"]["optional"] is True
    mounts = {m["mountPath"] for c in template["spec"]["containers"] for m in c["volumeMounts"]}
    assert {"/mnt/customData", "/mnt/apiCreds"} <= mounts
    paths = {c["name"]: c.get("path") for c in config["contexts"]}
    assert paths == {"customData": "/mnt/customData", "apiCreds": "/mnt/apiCreds"}


def test_the_probe_container_is_named_netcheck_so_0_10_overrides_merge_into_it() -> None:
    override = {
        "spec": {
            "containers": [
                {"name": "netcheck", "resources": {"limits": {"memory": "96Mi"}}},
            ]
        }
    }
    obj = AssertionBuilder("web").with_http("http://example/").with_spec(template=override).stored()
    _, template = _planned(obj)
    containers = template["spec"]["containers"]
    assert [c["name"] for c in containers] == ["netcheck"]
    assert containers[0]["image"]
    assert containers[0]["resources"]["limits"]["memory"] == "96Mi"


def test_probe_pods_carry_the_instance_and_version_labels_0_10_set() -> None:
    _, template = _planned(
        AssertionBuilder("http-should-work").with_http("http://example/").stored()
    )
    labels = template["metadata"]["labels"]
    assert labels["app.kubernetes.io/instance"] == "http-should-work"
    assert labels["app.kubernetes.io/version"] == __version__
