"""Which metric exporters and OTLP protocol the standard OTEL_* variables ask for."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from netchecks_service.errors import SettingsError
from netchecks_service.telemetry import metric_exporters, otlp_protocol, service_resource


@pytest.mark.parametrize(
    ("env", "wanted"),
    [
        ({}, {"prometheus"}),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, {"prometheus", "otlp"}),
        (
            {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c:4318/v1/metrics"},
            {"prometheus", "otlp"},
        ),
        ({"OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, set()),
        ({"OTEL_METRICS_EXPORTER": "otlp"}, {"otlp"}),
        ({"OTEL_METRICS_EXPORTER": " Prometheus , otlp "}, {"prometheus", "otlp"}),
    ],
)
def test_exporters_follow_otel_metrics_exporter(env: dict[str, str], wanted: set[str]) -> None:
    assert metric_exporters(env) == wanted


@pytest.mark.parametrize("value", ["zipkin", "none,prometheus", "console"])
def test_unknown_exporters_are_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="OTEL_METRICS_EXPORTER"):
        metric_exporters({"OTEL_METRICS_EXPORTER": value})


@pytest.mark.parametrize(
    ("env", "protocol"),
    [
        ({}, "http/protobuf"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "grpc"),
        (
            {
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
            },
            "http/protobuf",
        ),
    ],
)
def test_protocol_follows_the_metrics_variable_then_the_general_one(
    env: dict[str, str], protocol: str
) -> None:
    assert otlp_protocol(env) == protocol


def test_an_unsupported_protocol_is_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json'"):
        otlp_protocol({"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"})


def test_service_name_and_attributes_from_the_environment_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "results-east")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "k8s.cluster.name=east,service.version=9")

    attributes = service_resource("netchecks-results", "1.0").attributes

    assert attributes["service.name"] == "results-east"
    assert attributes["k8s.cluster.name"] == "east"
    assert attributes["service.version"] == "9"


def test_without_the_variables_the_service_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)

    attributes = service_resource("netchecks-results", "1.0").attributes

    assert (attributes["service.name"], attributes["service.version"]) == (
        "netchecks-results",
        "1.0",
    )


_MANY_SERIES = """
from opentelemetry import metrics
from opentelemetry.metrics import Observation
from netchecks_service.telemetry import prometheus_text, setup_metrics

setup_metrics("netchecks-test", "0")
meter = metrics.get_meter("netchecks.test")
meter.create_observable_gauge(
    "netchecks.test.assertion.gauge",
    callbacks=[lambda _o: [Observation(1, {"assertion": f"a{i}"}) for i in range(5000)]],
)
print(prometheus_text()[0].decode())
"""


@pytest.mark.e2e  # starts a process
def test_one_series_per_assertion_beyond_the_sdks_default_of_2000() -> None:
    # The SDK folds series past 2,000 per metric into one `otel_metric_overflow` series:
    # alerts on per-assertion gauges would go blind past 2,000 assertions.
    out = subprocess.run(
        [sys.executable, "-c", _MANY_SERIES],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "OTEL_METRICS_EXPORTER": "prometheus"},
    ).stdout
    series = [
        line for line in out.splitlines() if line.startswith("netchecks_test_assertion_gauge{")
    ]
    assert "otel_metric_overflow" not in out
    assert len({s.split("assertion=")[1].split('"')[1] for s in series}) == 5000
