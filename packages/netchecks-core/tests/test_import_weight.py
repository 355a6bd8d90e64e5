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


def test_importing_the_package_loads_none_of_its_modules_until_a_name_is_used() -> None:
    code = (
        "import json, sys, netchecks_core; before = set(sys.modules);"
        " netchecks_core.load_manifests; print(json.dumps([sorted(before), sorted(sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = json.loads(done.stdout)

    assert [m for m in before if m.startswith("netchecks_core.")] == []
    assert {"pydantic", "yaml", "celpy"}.isdisjoint(before)
    assert "netchecks_core.manifests" in after
    assert "yaml" not in after  # PyYAML is imported when YAML is parsed, not before
