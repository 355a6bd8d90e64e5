"""The images' venvs, made here as the Dockerfiles make them: wheels from the repository,
declared dependencies only, and console scripts that start."""

from __future__ import annotations

import json
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest

from tools.images import IMAGES, installed_distributions

# The first test builds the wheels and three image venvs (grpcio, the OpenTelemetry and
# Kubernetes clients...) with pip: minutes on a cold cache and two busy cores.
pytestmark = pytest.mark.timeout(900)


def test_every_package_builds_a_wheel_with_its_console_scripts(wheels: dict[str, Path]) -> None:
    expected = {
        "netchecks-core": set(),
        "netchecks-service": set(),
        "netchecks-probe": {"netchecks", "netcheck"},
        "netchecks-operator": {"netchecks-operator"},
        "netchecks-results": {"netchecks-results"},
    }
    for package, scripts in expected.items():
        with zipfile.ZipFile(wheels[package]) as wheel:
            names = wheel.namelist()
            entry_points = next((n for n in names if n.endswith("entry_points.txt")), None)
            text = wheel.read(entry_points).decode() if entry_points else ""
            assert any(n.endswith("/py.typed") for n in names), package
            assert not any("/tests/" in n for n in names), package
        found = {line.split("=")[0].strip() for line in text.splitlines() if "=" in line}
        assert found == scripts, package


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_each_console_script_answers_version_and_help_from_the_image_venv(
    image: str, venvs: dict[str, Path]
) -> None:
    for script in IMAGES[image].scripts:
        path = venvs[image] / "bin" / script
        version = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        assert version.returncode == 0, version.stderr
        assert "0.1.0" in version.stdout
        helped = subprocess.run(
            [str(path), "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert helped.returncode == 0, helped.stderr
        assert "usage:" in helped.stdout


def test_probe_venv_carries_no_kubernetes_client_and_no_service_stack(
    venvs: dict[str, Path],
) -> None:
    probe = installed_distributions(venvs["probe"])
    assert {"netchecks-core", "netchecks-probe", "psycopg", "cel-python"} <= probe
    assert (
        not {"netchecks-service", "kubernetes", "fastapi", "uvicorn", "opentelemetry-sdk"} & probe
    )


@pytest.mark.parametrize("image", ["operator", "results"])
def test_service_venvs_have_their_service_stack_and_no_probe(
    image: str, venvs: dict[str, Path]
) -> None:
    found = installed_distributions(venvs[image])
    assert {
        "netchecks-core",
        "netchecks-service",
        f"netchecks-{image}",
        "kubernetes",
        "uvicorn",
    } <= found
    assert not {"netchecks-probe", "psycopg", "pip"} & found


def test_probe_runs_a_real_tcp_check_from_its_venv(venvs: dict[str, Path]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        done = subprocess.run(
            [
                str(venvs["probe"] / "bin" / "netchecks"),
                "tcp",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["data"]["connected"]) == ("pass", True)
