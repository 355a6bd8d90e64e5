"""Fixtures of the probe's tests: local TCP listeners, a closed port, the real CLI, file helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent


@pytest.fixture
def tcp_listener() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections (and closes them at once)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli() -> CliRunner:
    """Run the installed ``netchecks`` command (or ``netcheck`` with ``command=``)."""

    def run(
        *args: str,
        stdin: str | None = None,
        command: str = "netchecks",
        timeout: float = 60,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        # A CI runner's own step summary is never written by the tests (``env`` may set one).
        environment = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
        return subprocess.run(
            [str(BIN / command), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd,
            env={**environment, **(env or {})},
        )

    return run


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write a document as JSON into the test's directory."""

    def write(document: Any, name: str = "config.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document))
        return path

    return write


def _mount_configmap(root: Path, files: dict[str, str]) -> Path:
    stamp = root / "..2025_06_01_12_00_00.000000001"
    stamp.mkdir(parents=True)
    for name, text in files.items():
        (stamp / name).write_text(text)
    (root / "..data").symlink_to(stamp.name)
    for name in files:
        (root / name).symlink_to(f"..data/{name}")
    return root


@pytest.fixture
def mounted_configmap() -> Callable[[Path, dict[str, str]], Path]:
    """``mounted_configmap(root, files)``: ``root`` laid out as the kubelet mounts a ConfigMap
    or Secret (files in a timestamped directory, ``..data`` and per-key symlinks)."""
    return _mount_configmap
