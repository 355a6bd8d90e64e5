"""Metrics set-up: the OpenTelemetry SDK, configured by the standard ``OTEL_*`` variables.

Code records through ``opentelemetry.metrics.get_meter(...)`` only (the API);
:func:`setup_metrics` wires the SDK once at start-up:

- ``OTEL_METRICS_EXPORTER``: comma-separated ``prometheus`` (``/metrics``, see
  :mod:`netchecks_service.health`), ``otlp`` (pushed), or ``none``. Unset:
  ``prometheus``, plus ``otlp`` when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
  ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``) is set.
- ``OTEL_EXPORTER_OTLP_PROTOCOL`` (or ``..._METRICS_PROTOCOL``): ``http/protobuf``
  (default) or ``grpc``; the exporters read the other ``OTEL_EXPORTER_OTLP_*`` variables
  (endpoint, headers, timeout...) and ``OTEL_METRIC_EXPORT_INTERVAL`` themselves.
- ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` override the service's name
  and version in the resource (``target_info`` on ``/metrics``).

Series per metric: the SDK's default limit (2,000) is lifted to
:data:`MAX_SERIES_PER_METRIC`; the services bound their per-assertion series themselves.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from netchecks_service.errors import SettingsError

log = logging.getLogger(__name__)

EXPORTERS = ("otlp", "prometheus", "none")
PROTOCOLS = ("http/protobuf", "grpc")

#: Series one metric may have before the SDK folds the rest into one overflow series.
#: The SDK's default, 2,000, would blind every per-assertion alert past 2,000 assertions
#: (and relabel the whole family); the services bound their own series instead (the
#: operator: one per scheduled assertion it caches; results: ``NETCHECKS_MAX_RULE_SERIES``).
MAX_SERIES_PER_METRIC = 1_000_000

_provider: MeterProvider | None = None


def metric_exporters(env: Mapping[str, str]) -> set[str]:
    """The exporters ``OTEL_METRICS_EXPORTER`` asks for (see the module docstring)."""
    raw = env.get("OTEL_METRICS_EXPORTER", "").strip()
    if not raw:
        pushed = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
        )
        return {"prometheus", "otlp"} if pushed else {"prometheus"}
    names = {name.strip().lower() for name in raw.split(",") if name.strip()}
    unknown = sorted(names - set(EXPORTERS))
    if unknown:
        raise SettingsError(
            f"OTEL_METRICS_EXPORTER: unknown exporter {', '.join(unknown)}; "
            f"use {', '.join(EXPORTERS)}"
        )
    if "none" in names and len(names) > 1:
        raise SettingsError("OTEL_METRICS_EXPORTER: `none` cannot be combined with exporters")
    return names - {"none"}


def otlp_protocol(env: Mapping[str, str]) -> str:
    """The OTLP protocol of the metrics exporter (``http/protobuf`` or ``grpc``)."""
    variable = next(
        (
            v
            for v in ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
            if env.get(v)
        ),
        None,
    )
    protocol = env[variable].strip() if variable else "http/protobuf"
    if protocol not in PROTOCOLS:
        raise SettingsError(
            f"{variable}: {protocol!r} is not supported; use {' or '.join(PROTOCOLS)}"
        )
    return protocol


def _otlp_exporter(protocol: str) -> MetricExporter:
    # Imported only when asked for: the gRPC stack is large.
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpExporter,
    )

    return HttpExporter()


def readers(env: Mapping[str, str]) -> list[MetricReader]:
    """The metric readers the environment asks for; raises SettingsError on a bad value."""
    wanted = metric_exporters(env)
    found: list[MetricReader] = []
    if "prometheus" in wanted:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        found.append(PrometheusMetricReader())
    if "otlp" in wanted:
        protocol = otlp_protocol(env)
        found.append(PeriodicExportingMetricReader(_otlp_exporter(protocol)))
        log.info("metrics: exporting over OTLP (%s)", protocol)
    return found


def service_resource(service_name: str, version: str) -> Resource:
    """The service's name and version, overridden by ``OTEL_SERVICE_NAME`` and
    ``OTEL_RESOURCE_ATTRIBUTES``."""
    defaults = Resource.create({"service.name": service_name, "service.version": version})
    return defaults.merge(OTELResourceDetector().detect())


def setup_metrics(service_name: str, version: str) -> MeterProvider:
    """Install the global MeterProvider (once per process; later calls return the first).

    Raises :class:`SettingsError` when an ``OTEL_*`` variable has a value we cannot honour.
    """
    global _provider  # one provider per process, by OpenTelemetry's design
    if _provider is not None:
        return _provider
    env = dict(os.environ)
    _provider = MeterProvider(
        resource=service_resource(service_name, version),
        metric_readers=readers(env),
        views=[View(instrument_name="*", aggregation_cardinality_limit=MAX_SERIES_PER_METRIC)],
    )
    metrics.set_meter_provider(_provider)
    return _provider


def shutdown_metrics() -> None:
    """Flush and stop the exporters (at shutdown)."""
    if _provider is not None:
        _provider.shutdown(timeout_millis=5000)


def prometheus_text() -> tuple[bytes, str]:
    """The Prometheus exposition of every instrument, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
