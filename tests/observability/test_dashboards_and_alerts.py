"""The dashboard and the alert rules read only metrics the services really export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.chart.helm import find, objects
from tests.docs.markdown import code_names, page
from tests.observability.promql import metric_names, selectors
from tests.observability.services import exported, expositions

__all__ = ["expositions"]  # a fixture

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


def test_dashboard_has_the_panels_the_issue_asks_for() -> None:
    titles = " | ".join(p["title"] for p in json.loads(DASHBOARD.read_text())["panels"])

    for wanted in ("Rule results over time", "Failing rules", "Probe duration by type"):
        assert wanted in titles
    assert "Operator" in titles and "Report latency" in titles


def test_operating_guide_lists_every_alert_of_the_chart() -> None:
    (table,) = page("operating.md").tables_in("Alerts")
    documented = {name for cell in table.column() for name in code_names(cell)}

    assert documented == {rule["alert"] for rule in alert_rules()}
