"""The dashboard and the alert rules read only metrics the services really export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.chart.helm import find, objects
from tests.docs.markdown import code_names, first_code, page
from tests.observability.promql import metric_names, selectors
from tests.results.harness import Cluster, OperatorService, ResultsService

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "charts" / "netchecks" / "files" / "grafana" / "netchecks-dashboard.json"
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
def expositions(
    netchecks_crds: None, kube_api: Any, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """Both services' /metrics after real work: a passing and failing run, a run without
    result, a scheduled assertion."""
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
            cluster.create_assertion(
                "scheduled",
                {"schedule": "0 3 * * *", "rules": [{"name": "a", "type": "internal"}]},
            )
            garbage = cluster.create_assertion(
                "garbage", {"rules": [{"name": "a", "type": "internal"}]}
            )
            cluster.run_probe(
                garbage, command=["python", "-c", "print('no result')"], image="python"
            )
            cluster.wait_report("web", timeout=60)
            cluster.wait_report("garbage", timeout=60)
            return [operator.metrics(), results.metrics()]
        finally:
            operator.stop()
            results.stop()


@pytest.fixture(scope="module")
def metrics(expositions: list[str]) -> dict[str, set[str]]:
    """Metric name -> label names, of both services."""
    found: dict[str, set[str]] = {}
    for text in expositions:
        for name, labels in exported(text).items():
            found.setdefault(name, set()).update(labels)
    return found


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


#: Metrics that appear only once something rare happened (the series bound hit, a run
#: skipped): their type and labels are checked by the services' unit tests.
RARE = {"netchecks_results_rule_series_dropped_total", "netchecks_results_runs_skipped_total"}
#: Labels of every series (the OpenTelemetry scope) and of histogram buckets.
SCOPE_LABELS = {"otel_scope_name", "otel_scope_version", "otel_scope_schema_url", "le"}


def families(texts: list[str]) -> dict[str, tuple[str, frozenset[str]]]:
    """netchecks metric (as named in the docs) -> (type, label names), from the expositions."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, tuple[str, frozenset[str]]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            name = family.name + ("_total" if family.type == "counter" else "")
            if not name.startswith("netchecks_"):
                continue
            labels = {k for sample in family.samples for k in sample.labels} - SCOPE_LABELS
            found[name] = (family.type, frozenset(labels))
    return found


def documented_metrics() -> dict[str, tuple[str, frozenset[str]]]:
    (table,) = page("operating.md").tables_in("Metrics")
    names, types, labels = table.column(0), table.column(1), table.column(2)
    return {
        first_code(name): (kind.strip(), frozenset(code_names(label)))
        for name, kind, label in zip(names, types, labels, strict=True)
    }


@pytest.mark.timeout(120)
def test_operating_guide_lists_exactly_the_netchecks_metrics_with_their_types_and_labels(
    expositions: list[str],
) -> None:
    documented = documented_metrics()
    real = families(expositions)

    assert {n: d for n, d in documented.items() if n in real} == real
    assert set(documented) - set(real) <= RARE


def test_dashboard_has_the_panels_the_issue_asks_for() -> None:
    titles = " | ".join(p["title"] for p in json.loads(DASHBOARD.read_text())["panels"])

    for wanted in ("Rule results over time", "Failing rules", "Probe duration by type"):
        assert wanted in titles
    assert "Operator" in titles and "Report latency" in titles


def test_operating_guide_lists_every_alert_of_the_chart() -> None:
    (table,) = page("operating.md").tables_in("Alerts")
    documented = {name for cell in table.column() for name in code_names(cell)}

    assert documented == {rule["alert"] for rule in alert_rules()}
