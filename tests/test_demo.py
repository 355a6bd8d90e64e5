"""The local demo (``python -m demo``) end to end: real targets, the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_demo_runs_every_example_to_its_expected_result() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "demo OK" in completed.stdout
    assert "certificate-expiry" in completed.stdout  # the failure it shows on purpose
    assert "✗" not in completed.stdout
