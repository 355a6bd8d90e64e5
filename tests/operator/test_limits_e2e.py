"""The operator against the API server's limits: what it cannot store it reports at once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from netchecks_core import naming
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.kube import CONFIGMAPS, EVENTS, JOBS, KubeApi

from tools.builders import AssertionBuilder
from tools.harness import ServiceProcess, wait_for

pytestmark = pytest.mark.timeout(120)
MiB = 1024 * 1024


def _condition(api: KubeApi, ns: str, name: str) -> dict[str, Any]:
    status = api.get(NETWORK_ASSERTIONS, name, ns).get("status") or {}
    found = [c for c in status.get("conditions") or [] if c["type"] == "Reconciled"]
    return found[0] if found else {}


def _children(api: KubeApi, resource: Any, ns: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.list(resource, ns, label_selector=naming.OPERATOR_SELECTOR)[
        "items"
    ]
    return items


def test_a_spec_whose_configmap_is_too_large_is_invalid_spec_and_creates_nothing(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    """1.2 MiB of inline context: the assertion is storable, its probe ConfigMap is not
    (the API server refuses more than 1 MiB of ConfigMap data). The operator says so on
    the status and in an Event, creates no child, and does not retry it as an error."""
    ns = kube_namespace
    manifest = (
        AssertionBuilder("huge")
        .with_internal()
        .with_context("blobs", inline={"blob": "x" * (MiB + MiB // 5)})
        .build()
    )
    manifest["metadata"]["namespace"] = ns
    assert len(json.dumps(manifest).encode()) < 1536 * 1024
    api.create(NETWORK_ASSERTIONS, manifest, ns)
    cond = wait_for(
        lambda: (c := _condition(api, ns, "huge")).get("reason") == "InvalidSpec" and c,
        30,
        "InvalidSpec",
    )
    assert cond["status"] == "False"
    assert "the probe config is 1.20 MiB" in cond["message"]
    assert "at most 1.00 MiB of data per ConfigMap" in cond["message"]
    events = wait_for(
        lambda: [e for e in api.list(EVENTS, ns)["items"] if e["reason"] == "InvalidSpec"],
        10,
        "InvalidSpec event",
    )
    assert "the probe config is 1.20 MiB" in events[0]["message"]
    assert _children(api, CONFIGMAPS, ns) == [] and _children(api, JOBS, ns) == []
    assert "ReconcileError" not in operator.logs()
