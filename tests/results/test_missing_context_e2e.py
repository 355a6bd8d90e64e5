"""A context's Secret or ConfigMap that does not exist: the operator names it at once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess, wait_for

pytestmark = pytest.mark.timeout(120)


def _operator_events(cluster: Cluster, name: str, reason: str) -> list[Any]:
    items = cluster.core.list_namespaced_event(
        cluster.namespace, field_selector=f"involvedObject.name={name},reason={reason}"
    ).items
    return [e for e in items if e.source and e.source.component == "netchecks-operator"]


def test_missing_secret_is_named_in_status_and_event_then_the_run_completes_once_it_exists(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess
) -> None:
    """The kubelet keeps the probe Pod Pending (ContainerCreating, FailedMount Event); the
    operator turns that into a ContextNotFound condition and Event naming the Secret and
    the context within seconds, not at the end of the Pod's deadline. Once the Secret is
    created the Pod starts and the result arrives."""
    start = time.monotonic()
    cluster.create_assertion(
        "needs-creds",
        {
            "context": [{"name": "creds", "secret": {"name": "db-creds"}}],
            "rules": [
                {
                    "name": "has-user",
                    "type": "internal",
                    "validate": {"pattern": "creds.user == 'app'"},
                }
            ],
        },
    )
    cond = wait_for(
        lambda: (c := cluster.condition("needs-creds")).get("reason") == "ContextNotFound" and c,
        20,
        "ContextNotFound",
    )
    assert time.monotonic() - start < 20
    assert cond["status"] == "False"
    assert 'Secret "db-creds" of context "creds" not found' in cond["message"]
    events = wait_for(
        lambda: _operator_events(cluster, "needs-creds", "ContextNotFound"), 10, "event"
    )
    assert 'Secret "db-creds"' in events[0].message
    pods = cluster.core.list_namespaced_pod(cluster.namespace).items
    assert [p.status.phase for p in pods] == ["Pending"]
    waiting = pods[0].status.container_statuses[0].state.waiting
    assert waiting.reason == "ContainerCreating"

    cluster.create_secret("db-creds", {"user": "app"})
    report = cluster.wait_report("needs-creds")
    assert results_of(report) == {"has-user": "pass"}
    wait_for(
        lambda: cluster.condition("needs-creds").get("reason") == "ProbeComplete",
        30,
        "ProbeComplete",
    )


def test_missing_config_map_is_named_too(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess
) -> None:
    cluster.create_assertion(
        "needs-endpoints",
        {
            "context": [{"name": "endpoints", "configMap": {"name": "endpoint-list"}}],
            "rules": [{"name": "r", "type": "internal", "validate": {"pattern": "true"}}],
        },
    )
    cond = wait_for(
        lambda: (
            (c := cluster.condition("needs-endpoints")).get("reason") == "ContextNotFound" and c
        ),
        20,
        "ContextNotFound",
    )
    assert 'ConfigMap "endpoint-list" of context "endpoints" not found' in cond["message"]
