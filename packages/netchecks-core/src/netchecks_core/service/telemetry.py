"""Metrics set-up: OpenTelemetry SDK with a Prometheus reader (and OTLP when configured).

Code records through ``opentelemetry.metrics.get_meter(...)`` only (the API);
:func:`setup_metrics` wires the SDK once at start-up, so ``/metrics`` (see
:mod:`netchecks_core.service.health`) shows every instrument, and when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set the same instruments are pushed over OTLP
(HTTP/protobuf; the standard ``OTEL_*`` variables apply).
"""

from __future__ import annotations

import logging
import os

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

_provider: MeterProvider | None = None


def setup_metrics(service_name: str, version: str) -> MeterProvider:
    """Install the global MeterProvider (once per process; later calls return the first)."""
    global _provider  # one provider per process, by OpenTelemetry's design
    if _provider is not None:
        return _provider
    readers: list[MetricReader] = [PrometheusMetricReader()]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # only when asked for
            OTLPMetricExporter,
        )

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        log.info("metrics: exporting over OTLP as well as /metrics")
    resource = Resource.create({"service.name": service_name, "service.version": version})
    _provider = MeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(_provider)
    return _provider


def shutdown_metrics() -> None:
    """Flush and stop the exporters (at shutdown)."""
    if _provider is not None:
        _provider.shutdown(timeout_millis=5000)


def prometheus_text() -> tuple[bytes, str]:
    """The Prometheus exposition of every instrument, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
