"""The dashboard and the alert rules read only metrics the services really export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from netchecks_core.naming import probe_pod_labels

from tests.chart.helm import find, objects
from tests.docs.markdown import code_names, first_code, page
from tests.observability.promql import metric_names, selectors
from tests.results.harness import Cluster, OperatorService, ResultsService, wait_for

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "netchecks-dashboard.json"
#: Labels Prometheus adds when it scrapes (not in /metrics).
TARGET_LABELS = {"job", "instance"}
#: Series Prometheus makes itself for every scrape target (not in /metrics).
SCRAPE_SERIES = {"up"}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict) and "label_values(" in query["query"]:
            exprs.append(query["query"].split("(", 1)[1].split(",")[0])
    return exprs


def alert_rules() -> list[dict[str, Any]]:
    """The alerts of the chart's PrometheusRule: the one place they are written."""
    values = {"prometheusRule": {"enabled": True}, "serviceMonitor": {"enabled": True}}
    (rule,) = find(objects(values), "PrometheusRule")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def exported(text: str) -> dict[str, set[str]]:
    """Metric name -> label names, from a Prometheus exposition."""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        labels = (
            {part.split("=", 1)[0] for part in rest.split('",') if "=" in part} if rest else set()
        )
        found.setdefault(name.split(" ")[0], set()).update(label.strip() for label in labels)
    return found


@pytest.fixture(scope="module")
def metrics(
    netchecks_crds: None, kube_api: Any, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, set[str]]:
    """Both services' /metrics after real work: a passing and failing run, a run without result."""
    import secrets

    from kubernetes import client

    from tests.targets.http import HttpServer

    namespace = f"observability-{secrets.token_hex(3)}"
    client.CoreV1Api(kube_api).create_namespace({"metadata": {"name": namespace}})
    logs = tmp_path_factory.mktemp("services")
    cluster = Cluster(kube_api, namespace)
    with HttpServer() as web:
        operator = OperatorService(kubeconfig, namespace, logs).start()
        results = ResultsService(kubeconfig, namespace, logs).start()
        try:
            cluster.create_assertion(
                "web",
                {
                    "rules": [
                        {"name": "up", "type": "http", "url": web.url("/json")},
                        {"name": "down", "type": "http", "url": web.url("/status/503")},
                    ]
                },
            )
            garbage = cluster.create_assertion(
                "garbage", {"rules": [{"name": "a", "type": "internal"}]}
            )
            cluster.run_probe(
                garbage, command=["python", "-c", "print('no result')"], image="python"
            )
            # A bare Pod with the probe labels: ignored and counted as untrusted.
            cluster.create_pod(
                "forged",
                ["python", "-c", "print('forged')"],
                labels=probe_pod_labels(garbage["metadata"]["uid"]),
            )
            cluster.wait_report("web", timeout=60)
            cluster.wait_report("garbage", timeout=60)
            wait_for(
                lambda: "netchecks_results_untrusted_pods_total" in results.metrics(),
                30,
                "the forged Pod counted",
            )
            found = exported(operator.metrics())
            for name, labels in exported(results.metrics()).items():
                found.setdefault(name, set()).update(labels)
            return found
        finally:
            operator.stop()
            results.stop()


def used_metrics() -> list[tuple[str, str]]:
    """(where, expression) of every panel target and alert."""
    return [("dashboard", e) for e in dashboard_expressions()] + [
        (f"alert {r['alert']}", r["expr"]) for r in alert_rules()
    ]


@pytest.mark.timeout(120)
def test_every_metric_of_the_dashboard_and_alerts_is_exported(metrics: dict[str, set[str]]) -> None:
    missing = {
        (where, name)
        for where, expr in used_metrics()
        for name in metric_names(expr)
        if name not in metrics and name not in SCRAPE_SERIES
    }

    assert missing == set()


@pytest.mark.timeout(120)
def test_every_label_the_dashboard_and_alerts_match_on_exists(metrics: dict[str, set[str]]) -> None:
    missing = {
        (where, metric, label)
        for where, expr in used_metrics()
        for metric, labels in selectors(expr)
        for label in labels - TARGET_LABELS
        if metric and label not in metrics.get(metric, set())
    }

    assert missing == set()


@pytest.mark.timeout(120)
def test_operating_guide_lists_exactly_the_netchecks_metrics(metrics: dict[str, set[str]]) -> None:
    (table,) = page("operating.md").tables_in("Metrics")
    documented = {first_code(cell) for cell in table.column()}
    families = {
        name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
        for name in metrics
        if name.startswith("netchecks_")
    }

    # series_dropped only appears once the series bound is hit.
    assert documented - {"netchecks_results_rule_series_dropped_total"} == families


def test_dashboard_has_the_panels_the_issue_asks_for() -> None:
    titles = " | ".join(p["title"] for p in json.loads(DASHBOARD.read_text())["panels"])

    for wanted in ("Rule results over time", "Failing rules", "Probe duration by type"):
        assert wanted in titles
    assert "Operator" in titles and "Report latency" in titles


def test_operating_guide_lists_every_alert_of_the_chart() -> None:
    (table,) = page("operating.md").tables_in("Alerts")
    documented = {name for cell in table.column() for name in code_names(cell)}

    assert documented == {rule["alert"] for rule in alert_rules()}
