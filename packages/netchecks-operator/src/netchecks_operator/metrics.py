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
    explicit_bucket_boundaries_advisory=[
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
        10.0,
        30.0,
    ],
)
writes = meter.create_counter(
    "netchecks.operator.writes",
    unit="{write}",
    description="Child objects written by verb and kind",
)
