"""A real Prometheus scrapes both services as the chart's ServiceMonitors make it, and
evaluates the chart's rules: alerts name the assertion's namespace, every dashboard
panel has data, nothing else fires. Every line both services logged meanwhile is one
JSON event with the same keys."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_service.logs import KEYS

from tests.alerts.rules import prometheus_tool, write_rule_file
from tests.chart.helm import find, objects
from tests.observability.services import Services
from tests.observability.test_dashboards_and_alerts import DASHBOARD
from tools.harness import ServiceProcess, wait_for
from tools.targets.processes import free_port, spawn, stop

#: The probe Pods must reach a loopback web server: kubesim's Pods can, a real cluster's not.
pytestmark = pytest.mark.kubesim_only
RELEASE_NAMESPACE = "netchecks"
RFC3339_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def scrape_config(component: str, port: int) -> dict[str, Any]:
    """The scrape job the Prometheus Operator generates from the chart's ServiceMonitor.

    The target labels are the ones its relabelling sets (namespace, service, pod, job,
    endpoint) and honor_labels is what the rendered endpoint says; the target is the
    service's loopback port instead of an Endpoints address.
    """
    values = {"serviceMonitor": {"enabled": True, "interval": "1s"}}
    name = f"netchecks-{component}"
    (monitor,) = find(objects(values), "ServiceMonitor", name)
    (endpoint,) = monitor["spec"]["endpoints"]
    return {
        "job_name": f"serviceMonitor/{RELEASE_NAMESPACE}/{name}/0",
        "honor_labels": endpoint.get("honorLabels", False),
        "metrics_path": endpoint["path"],
        "scrape_interval": endpoint["interval"],
        "static_configs": [
            {
                "targets": [f"127.0.0.1:{port}"],
                "labels": {
                    "namespace": RELEASE_NAMESPACE,
                    "service": name,
                    "pod": f"{name}-0",
                    "job": name,
                    "endpoint": endpoint["port"],
                },
            }
        ],
    }


class Prometheus:
    """Debian's prometheus on a loopback port, queried through its HTTP API."""

    def __init__(self, directory: Path, scrape: list[dict[str, Any]]) -> None:
        self.port = free_port()
        write_rule_file(directory / "rules.yaml", {"failingFor": "5s"})
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(directory / "rules.yaml")],
            "scrape_configs": scrape,
        }
        (directory / "prometheus.yaml").write_text(yaml.safe_dump(config))
        self.log = (directory / "prometheus.log").open("wb")
        self.process = spawn(
            [
                prometheus_tool("prometheus"),
                f"--config.file={directory / 'prometheus.yaml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            log=self.log,
        )
        wait_for(self.ready, 30, "prometheus to be ready")

    def ready(self) -> bool:
        assert self.process.poll() is None, "prometheus exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{query}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("query", query=expr)["result"]
        return result

    def stop(self) -> None:
        stop(self.process, timeout=15)
        self.log.close()


class Setup:
    """What the module's tests share: Prometheus, the assertions' namespace, the services."""

    def __init__(
        self, prometheus: Prometheus, namespace: str, services: list[ServiceProcess]
    ) -> None:
        self.prometheus = prometheus
        self.namespace = namespace
        self.services = services


@pytest.fixture(scope="module")
def scraped(
    netchecks_crds: None, kube_api: Any, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    """Both services with one failing and one scheduled assertion, scraped by Prometheus."""
    logs = tmp_path_factory.mktemp("prometheus")
    with Services(kube_api, kubeconfig, logs, "prometheus").running() as services:
        operator, results = services.operator, services.results
        prometheus = Prometheus(
            logs, [scrape_config("operator", operator.port), scrape_config("results", results.port)]
        )
        try:
            yield Setup(prometheus, services.namespace, [operator, results])
        finally:
            prometheus.stop()


def firing(prometheus: Prometheus) -> list[dict[str, Any]]:
    return [a for a in prometheus.api("alerts")["alerts"] if a["state"] == "firing"]


@pytest.mark.timeout(180)
def test_failing_assertion_alert_names_the_assertions_own_namespace(
    scraped: Setup,
) -> None:
    prometheus, namespace = scraped.prometheus, scraped.namespace

    alerts = wait_for(lambda: firing(prometheus), 60, "NetchecksAssertionFailing to fire")

    (alert,) = alerts
    assert alert["labels"]["alertname"] == "NetchecksAssertionFailing"
    assert alert["labels"]["namespace"] == namespace
    assert (alert["labels"]["assertion"], alert["labels"]["rule"]) == ("web", "down")
    assert alert["annotations"]["summary"] == (
        f"Network assertion {namespace}/web rule down is failing"
    )
    values = prometheus.api(
        "label/namespace/values", **{"match[]": "netchecks_results_rule_result"}
    )
    assert values == [namespace]


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


@pytest.mark.timeout(180)
def test_every_panel_of_the_dashboard_has_data(scraped: Setup) -> None:
    prometheus, namespace = scraped.prometheus, scraped.namespace

    def empty() -> list[str] | None:
        missing = [
            title
            for title, expr in panel_queries()
            if not prometheus.query(
                expr.replace("$__rate_interval", "30s").replace("$namespace", namespace)
            )
        ]
        return None if missing else missing

    def all_have_data() -> bool:
        return empty() is None

    wait_for(all_have_data, 60, "every panel query to return data")


@pytest.mark.timeout(180)
def test_nothing_else_fires_or_is_pending_on_a_healthy_setup(
    scraped: Setup,
) -> None:
    prometheus = scraped.prometheus
    wait_for(lambda: firing(prometheus), 60, "the failing assertion's alert")

    alerts = prometheus.api("alerts")["alerts"]

    assert {(a["labels"]["alertname"], a["labels"].get("rule")) for a in alerts} == {
        ("NetchecksAssertionFailing", "down")
    }


@pytest.mark.timeout(60)
def test_every_log_line_of_both_services_is_one_json_event_with_the_same_keys(
    scraped: Setup,
) -> None:
    for service in scraped.services:
        service.stop()  # so the logs are complete, shutdown included (the last test here)
    keys_by_service = {}

    for service in scraped.services:
        lines = service.logs().splitlines()
        assert len(lines) > 10, service.command
        events = [json.loads(line) for line in lines]
        for event in events:
            assert isinstance(event, dict)
            assert set(event) - {"exc_info"} == set(KEYS), event
            assert RFC3339_MILLIS.match(event["time"]), event["time"]
            assert "\x1b" not in json.dumps(event, ensure_ascii=False), event
        keys_by_service[service.command] = {key for event in events for key in event}
        assert any(e["logger"].startswith("uvicorn") for e in events), "uvicorn logs as JSON"

    assert keys_by_service["netchecks-operator"] - {"exc_info"} == (
        keys_by_service["netchecks-results"] - {"exc_info"}
    )
