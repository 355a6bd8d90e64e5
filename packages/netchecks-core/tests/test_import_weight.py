"""Core is the models: importing them loads no web server, Kubernetes client,
OpenTelemetry SDK or service plumbing (the probe image and plain model users stay light)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("netchecks_service", "kubernetes", "fastapi", "starlette", "uvicorn", "opentelemetry")


@pytest.mark.parametrize(
    "module",
    ["netchecks_core.rules", "netchecks_core.resources", "netchecks_core.policyreport"],
)
def test_importing_core_models_loads_no_web_or_kubernetes_module(module: str) -> None:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(done.stdout)
    assert module in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
