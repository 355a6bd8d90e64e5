# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""`python -m tools.kubesim serve`: foreground server that writes a kubeconfig when ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client

from tools.kubesim.testing import api_client, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_serve_writes_kubeconfig_and_serves(tmp_path: Path) -> None:
    """A real process: it writes the kubeconfig once ready; the official client can use it;
    SIGTERM stops it cleanly."""
    kubeconfig = tmp_path / "kubeconfig"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.kubesim", "serve", "--kubeconfig", str(kubeconfig)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(kubeconfig.exists, 20, what="kubeconfig")
        with api_client(kubeconfig) as api:
            names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
            assert "default" in names and "kube-system" in names
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err.decode()


def test_serve_on_a_fixed_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.kubesim",
            "serve",
            "--kubeconfig",
            str(kubeconfig),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(kubeconfig.exists, 20, what="kubeconfig")
        assert f"http://127.0.0.1:{port}" in kubeconfig.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    time.sleep(0)
