# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,arg-type,index,type-var"
"""Per-node assertions end to end (``spec.placement.nodes``): kubesim with three nodes of
the test's own, the operator and the results service as real processes, real probe Pods.

The nodes carry a taint only the test's assertion tolerates, so no other test's Pod lands
on them, and are removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from netchecks_core import naming

from tests.results.harness import Cluster
from tools.harness import ServiceProcess, wait_for
from tools.kubesim import KubeSim
from tools.kubesim.testing import node_manifest

POOL = "netchecks.test/pool"


@pytest.fixture
def cluster(api: Any, kube_api: client.ApiClient, kube_namespace: str) -> Cluster:
    return Cluster(kube_api, kube_namespace)


@pytest.fixture
def nodes(kube_api: client.ApiClient, kube_namespace: str) -> Iterator[list[str]]:
    """Three Ready nodes labelled and tainted for this test only (removed afterwards)."""
    core = client.CoreV1Api(kube_api)
    names = [f"{kube_namespace}-n{i}" for i in (1, 2, 3)]
    for name in names:
        add_node(core, name, kube_namespace)
    yield names
    for item in core.list_node(label_selector=f"{POOL}={kube_namespace}").items:
        core.delete_node(item.metadata.name)


def add_node(core: client.CoreV1Api, name: str, pool: str) -> None:
    taint = {"key": POOL, "value": pool, "effect": "NoSchedule"}
    core.create_node(node_manifest(name, {POOL: pool}, [taint]))


@pytest.fixture
def results(kubeconfig: Path, kube_namespace: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    with ServiceProcess("netchecks-results", kubeconfig, kube_namespace, tmp_path) as service:
        yield service


def spec(pool: str, url: str, **placement: Any) -> dict[str, Any]:
    return {
        "rules": [
            {"name": "api", "type": "http", "url": url},
            {"name": "always", "type": "internal", "validate": {"pattern": "true"}},
        ],
        "placement": {
            "nodes": {
                "selector": {"matchLabels": {POOL: pool}},
                "tolerations": [{"key": POOL, "operator": "Exists"}],
                **placement,
            }
        },
    }


def per_node(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    """``(rule, node) -> result`` of a per-node report."""
    return {
        (r["rule"], r["resources"][0]["name"]): r["result"] for r in report.get("results") or []
    }


def run_id(run_now_value: str) -> str:
    """The run id of the per-node run a run-now value starts."""
    return f"now-{naming.name_hash(run_now_value, 6)}"


def run_now(cluster: Cluster, name: str, value: str) -> None:
    cluster.patch_assertion(name, {"metadata": {"annotations": {"netchecks.io/run-now": value}}})


def test_results_per_rule_per_node_and_a_node_added_joins_the_next_run(
    cluster: Cluster,
    nodes: list[str],
    operator: ServiceProcess,
    results: ServiceProcess,
    http_server: Any,
    kube_api: client.ApiClient,
    kube_namespace: str,
) -> None:
    cluster.create_assertion("fleet", spec(kube_namespace, http_server.url("/json")))
    report = cluster.wait_report("fleet", lambda r: len(per_node(r)) == 6, timeout=90)
    assert per_node(report) == {(rule, n): "pass" for rule in ("api", "always") for n in nodes}
    assert report["summary"]["pass"] == 6
    pods = cluster.core.list_namespaced_pod(kube_namespace).items
    assert sorted(p.spec.node_name for p in pods) == sorted(nodes)
    wait_for(
        lambda: (cluster.assertion_status("fleet").get("nodes") or {}).get("total") == 3,
        30,
        "status.nodes",
    )
    assert cluster.assertion_status("fleet")["nodes"] == {
        "total": 3,
        "passing": 3,
        "failing": 0,
        "failingNodes": [],
    }

    core = client.CoreV1Api(kube_api)
    added = f"{kube_namespace}-n4"
    add_node(core, added, kube_namespace)

    # A run takes the nodes the operator knows when it starts; a run-now patched before
    # the new Node reached its cache runs on three, so ask again until one has all four.
    def run_now_report(value: str) -> dict[str, Any]:
        run_now(cluster, "fleet", value)

        def this_run(r: dict[str, Any]) -> bool:
            marker = str(r["metadata"]["annotations"].get("netchecks.io/pod-uid"))
            return marker.startswith(f"run:{run_id(value)}:") and len(per_node(r)) in (6, 8)

        return cluster.wait_report("fleet", this_run, timeout=90)

    value = "2"
    report = run_now_report(value)
    while len(per_node(report)) != 8 and int(value) < 5:
        value = str(int(value) + 1)
        report = run_now_report(value)
    assert {n for _, n in per_node(report)} == {*nodes, added}
    assert set(per_node(report).values()) == {"pass"}

    # Only the newest run's objects stay: one Job per node, and their Pods.
    def run_ids() -> list[str]:
        jobs = cluster.batch.list_namespaced_job(kube_namespace).items
        return sorted(j.metadata.labels["netchecks.io/run-id"] for j in jobs)

    wait_for(lambda: run_ids() == [run_id(value)] * 4, 30, "only the newest run's Jobs")
    wait_for(
        lambda: len(cluster.core.list_namespaced_pod(kube_namespace).items) == 4,
        30,
        "the first run's Pods removed",
    )


def test_a_fault_on_one_node_is_exactly_one_failing_node(
    cluster: Cluster,
    nodes: list[str],
    operator: ServiceProcess,
    results: ServiceProcess,
    http_server: Any,
    kubesim: KubeSim,
) -> None:
    address = http_server.url("/json").split("/")[2]
    kubesim.faults.rewrite_on_node(nodes[1], address, "127.0.0.1:9")
    try:
        cluster.create_assertion("fleet", spec(cluster.namespace, http_server.url("/json")))
        report = cluster.wait_report("fleet", lambda r: len(per_node(r)) == 6, timeout=90)
    finally:
        kubesim.faults.clear()
    outcome = per_node(report)
    failing = {n for (rule, n), result in outcome.items() if result != "pass"}
    assert failing == {nodes[1]}
    assert outcome[("always", nodes[1])] == "pass"
    assert outcome[("api", nodes[1])] in ("fail", "error")
    wait_for(
        lambda: (cluster.assertion_status("fleet").get("nodes") or {}).get("failing") == 1,
        30,
        "status.nodes",
    )
    status = cluster.assertion_status("fleet")
    assert status["nodes"]["failingNodes"] == [nodes[1]]
    assert f"1 of 3 nodes failing: {nodes[1]}" in cluster.condition("fleet")["message"]


def test_a_node_deleted_mid_run_is_an_error_for_it_and_leaves_no_orphans(
    cluster: Cluster,
    nodes: list[str],
    operator: ServiceProcess,
    results: ServiceProcess,
    http_server: Any,
    kube_api: client.ApiClient,
    kube_namespace: str,
) -> None:
    slow = http_server.url("/slow?delay=3")
    cluster.create_assertion("fleet", spec(kube_namespace, slow, maxConcurrent=1))

    def running_probe() -> Any:
        pods = cluster.core.list_namespaced_pod(kube_namespace).items
        return next((p for p in pods if p.status.phase == "Running"), None)

    pod = wait_for(running_probe, 60, "a probe Pod running")
    lost = pod.spec.node_name
    client.CoreV1Api(kube_api).delete_node(lost)
    report = cluster.wait_report("fleet", lambda r: len(per_node(r)) == 6, timeout=120)
    outcome = per_node(report)
    assert {outcome[(rule, lost)] for rule in ("api", "always")} == {"error"}
    message = next(r["message"] for r in report["results"] if r["resources"][0]["name"] == lost)
    assert f"node {lost} left the cluster" in message
    others = [n for n in nodes if n != lost]
    assert {outcome[(rule, n)] for rule in ("api", "always") for n in others} == {"pass"}
    # No orphans: no Pod of the lost node, and no Job of the run still active.
    wait_for(
        lambda: (
            not [
                p
                for p in cluster.core.list_namespaced_pod(kube_namespace).items
                if p.spec.node_name == lost
            ]
        ),
        30,
        "the lost node's Pods gone",
    )
    jobs = cluster.batch.list_namespaced_job(kube_namespace).items
    assert len(jobs) == 3
    assert not [j for j in jobs if (j.status.active or 0) > 0]
