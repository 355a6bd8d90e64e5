"""A Netchecks 0.10 assertion through the whole chain (operator, probe Pod, results
service, every one a real process): what 0.10 users' tooling reads (issue 14)."""

from __future__ import annotations

from typing import Any

from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess, wait_for


def _reasons(events: list[Any]) -> list[str]:
    return [e.reason for e in sorted(events, key=lambda e: e.metadata.creation_timestamp)]


def test_repeated_rule_names_and_0_10_overrides_run_and_report_as_0_10_tooling_expects(
    cluster: Cluster,
    operator: ServiceProcess,
    results: ServiceProcess,
    http_server,
    refusing_port: Any,
) -> None:
    cluster.create_assertion(
        "dns-restrictions",
        {
            "template": {  # a 0.10 override of its probe container, by that container's name
                "metadata": {"labels": {"optional-label": "applied-to-test-pod"}},
                "spec": {
                    "containers": [
                        {"name": "netcheck", "env": [{"name": "NETCHECK_0_10", "value": "1"}]}
                    ]
                },
            },
            "rules": [
                {"name": "svc-lookup", "type": "http", "url": http_server.url("/json")},
                {
                    "name": "svc-lookup",
                    "type": "tcp",
                    "host": "127.0.0.1",
                    "port": refusing_port.port,
                },
                # Slow, so the probe Pod is still there to look at (it goes with its Job).
                {"name": "svc-lookup", "type": "http", "url": http_server.url("/slow?delay=3")},
            ],
        },
    )
    pods = wait_for(
        lambda: (
            cluster.core.list_namespaced_pod(
                cluster.namespace, label_selector="app.kubernetes.io/instance=dns-restrictions"
            ).items
        ),
        20,
        "a probe Pod with the instance label",
    )
    report = cluster.wait_report("dns-restrictions")
    assert results_of(report) == {
        "svc-lookup": "pass",
        "svc-lookup#2": "fail",
        "svc-lookup#3": "pass",
    }
    assert report["summary"] == {"pass": 2, "fail": 1}
    labels, annotations = report["metadata"]["labels"], report["metadata"]["annotations"]
    assert labels["app.kubernetes.io/instance"] == "dns-restrictions"
    assert labels["policy.kubernetes.io/engine"] == "netcheck"
    assert (annotations["category"], annotations["created-by"]) == ("Network", "netcheck")
    assert annotations["netcheck-operator-version"]
    containers = pods[0].spec.containers
    assert [c.name for c in containers] == ["netcheck"]
    assert ("NETCHECK_0_10", "1") in [(e.name, e.value) for e in containers[0].env]
    assert pods[0].metadata.labels["optional-label"] == "applied-to-test-pod"
    assert pods[0].metadata.labels["app.kubernetes.io/version"]
    # The outcome event is on the assertion and on its PolicyReport.
    on_report = wait_for(
        lambda: cluster.events("dns-restrictions", kind="PolicyReport"), 20, "report event"
    )
    assert _reasons(on_report) == ["ChecksFailing"]
    assert on_report[0].involved_object.uid == report["metadata"]["uid"]
    assert _reasons(cluster.events("dns-restrictions")) == ["ChecksFailing"]
