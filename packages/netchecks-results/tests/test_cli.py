"""The ``netchecks-results`` console script refuses bad settings clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "netchecks-results"


def test_invalid_settings_exit_2_with_the_variable_named_and_no_traceback() -> None:
    env = {**os.environ, "NETCHECKS_REPORT_APIS": "example.com/v9", "NETCHECKS_WORKERS": "0"}
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "NETCHECKS_REPORT_APIS: unknown report API 'example.com/v9'" in done.stderr
    assert "NETCHECKS_WORKERS" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_kubeconfig_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KUBECONFIG": str(tmp_path / "absent"),
        "NETCHECKS_HTTP_ADDR": "127.0.0.1:0",
        "NETCHECKS_LEASE_NAMESPACE": "default",
    }
    env.pop("KUBERNETES_SERVICE_HOST", None)
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot configure the Kubernetes client" in done.stderr
    assert "Traceback" not in done.stderr
