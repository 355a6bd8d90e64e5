"""The operator's instruments (OpenTelemetry API; exported by the SDK set up at start)."""

from __future__ import annotations

from opentelemetry import metrics

meter = metrics.get_meter("netchecks.operator")

reconciles = meter.create_counter(
    "netchecks.operator.reconciles",
    unit="{reconcile}",
    description="Reconciles by result (ok, error, invalid, skipped) and reason",
)
reconcile_duration = meter.create_histogram(
    "netchecks.operator.reconcile.duration",
    unit="s",
    description="Time to plan and apply one assertion",
)
writes = meter.create_counter(
    "netchecks.operator.writes",
    unit="{write}",
    description="Child objects written by verb and kind",
)
