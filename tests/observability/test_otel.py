"""OpenTelemetry by the standard variables: the results service pushes its metrics to a
local OTLP receiver over HTTP/protobuf and gRPC, named as OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES say, and OTEL_METRICS_EXPORTER picks the exporters."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.harness import BIN, ServiceProcess, wait_for
from tools.targets.otlp import OtlpGrpcReceiver, OtlpHttpReceiver

#: Pushed every half second, so a test waits a few seconds at most.
FAST_EXPORT = {"OTEL_METRIC_EXPORT_INTERVAL": "500"}
KUBE_REQUESTS = "netchecks.kube.requests"


@pytest.fixture(scope="module")
def namespace(netchecks_crds: None, kube_api: Any) -> str:
    from kubernetes import client

    name = f"otel-{secrets.token_hex(3)}"
    client.CoreV1Api(kube_api).create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def service(kubeconfig: Path, namespace: str, tmp_path: Path) -> Iterator[Any]:
    """Start the results service with extra environment; stopped after the test."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        results = ServiceProcess(
            "netchecks-results", kubeconfig, namespace, tmp_path, **FAST_EXPORT, **env
        )
        started.append(results.start())
        return results

    yield start
    for results in started:
        results.stop()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("receiver_class", "protocol"),
    [(OtlpHttpReceiver, "http/protobuf"), (OtlpGrpcReceiver, "grpc")],
    ids=["http", "grpc"],
)
def test_metrics_reach_an_otlp_receiver_named_by_the_standard_variables(
    service: Any, receiver_class: type[OtlpHttpReceiver], protocol: str
) -> None:
    with receiver_class() as receiver:
        results = service(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_SERVICE_NAME="netchecks-results-east",
            OTEL_RESOURCE_ATTRIBUTES="k8s.cluster.name=east,deployment.environment=test",
        )

        wait_for(lambda: KUBE_REQUESTS in receiver.metric_names(), 20, "an OTLP export")

        export = next(e for e in receiver.exports if KUBE_REQUESTS in e.metrics)
        assert export.resource["service.name"] == "netchecks-results-east"
        assert export.resource["k8s.cluster.name"] == "east"
        assert export.resource["deployment.environment"] == "test"
        assert export.resource["service.version"]
        assert 'service_name="netchecks-results-east"' in results.metrics()
        assert "netchecks_kube_requests_total" in results.metrics()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("exporters", "pushed", "scraped"),
    [("none", False, False), ("prometheus", False, True), ("otlp", True, False)],
)
def test_metrics_exporter_variable_picks_the_exporters(
    service: Any, exporters: str, pushed: bool, scraped: bool
) -> None:
    with OtlpHttpReceiver() as receiver:
        results = service(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_METRICS_EXPORTER=exporters
        )
        if pushed:
            wait_for(lambda: KUBE_REQUESTS in receiver.metric_names(), 20, "an OTLP export")
        else:
            time.sleep(2)  # four export intervals: nothing may arrive

        assert (KUBE_REQUESTS in receiver.metric_names()) is pushed
        assert ("netchecks_kube_requests_total" in results.metrics()) is scraped


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_METRICS_EXPORTER", "zipkin"),
        ("OTEL_METRICS_EXPORTER", "none,otlp"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ],
)
def test_a_value_we_cannot_honour_stops_the_service_naming_the_variable(
    kubeconfig: Path, variable: str, value: str
) -> None:
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        variable: value,
    }

    completed = subprocess.run(
        [str(BIN / "netchecks-results")], env=env, capture_output=True, text=True, timeout=20
    )

    assert completed.returncode == 2
    assert variable in completed.stderr
    assert "Traceback" not in completed.stderr
