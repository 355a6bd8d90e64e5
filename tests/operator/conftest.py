"""End-to-end fixtures: kubesim with the CRDs, and the operator started as a real process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from netchecks_service.errors import ConflictError, NotFoundError
from netchecks_service.kube import CRDS, KubeApi, load_api_client

from tests.e2e_cluster import *  # noqa: F403 - kubesim or a real cluster (NETCHECKS_E2E_KUBECONFIG)
from tests.targets.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
CRD_FILES = ["netchecks.io_networkassertions.yaml", "wgpolicyk8s.io_policyreports.yaml"]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (NotFoundError, KeyError, IndexError, TypeError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}: last {last!r}")


@pytest.fixture(scope="session")
def api(kubeconfig: Path) -> Iterator[KubeApi]:
    """The core JSON adapter bound to kubesim, with the CRDs installed."""
    client = load_api_client(str(kubeconfig))
    client.configuration.proxy = None
    kube = KubeApi(client)
    for name in CRD_FILES:
        crd = yaml.safe_load((ROOT / "charts/netchecks/files/crds" / name).read_text())
        with contextlib.suppress(ConflictError):
            kube.create(CRDS, crd)
    wait_for(lambda: kube.list(CRDS), what="CRDs")
    yield kube
    client.close()


class OperatorProcess:
    """A running ``netchecks-operator`` process."""

    def __init__(self, kubeconfig: Path, namespace: str, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "NO_PROXY": "127.0.0.1,localhost",
            "NETCHECKS_NAMESPACES": namespace,
            "NETCHECKS_HTTP_ADDR": f"127.0.0.1:{self.port}",
            "NETCHECKS_LEASE_NAMESPACE": namespace,
            "NETCHECKS_LEASE_DURATION": "3",
            "NETCHECKS_RENEW_DEADLINE": "2",
            "NETCHECKS_RETRY_PERIOD": "0.3",
            "NETCHECKS_LOG_LEVEL": "DEBUG",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "netchecks_operator"], env=self.env, stdout=log, stderr=log
            )
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url(path), timeout=2)

    def ready(self) -> bool:
        try:
            return self.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def metrics(self) -> str:
        return self.get("/metrics").text

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def start_operator(
    api: KubeApi, kubeconfig: Path, kube_namespace: str, tmp_path: Path
) -> Iterator[Callable[..., OperatorProcess]]:
    """Start operator processes watching the test's namespace; all stopped afterwards."""
    started: list[OperatorProcess] = []

    def start(wait_ready: bool = True, **env: str) -> OperatorProcess:
        proc = OperatorProcess(
            kubeconfig, kube_namespace, tmp_path / f"operator-{len(started)}.log", **env
        ).start()
        started.append(proc)
        if wait_ready:
            wait_for(proc.ready, 30, "operator ready")
        return proc

    yield start
    for proc in started:
        proc.stop(signal.SIGKILL if proc.proc and proc.proc.poll() is None else signal.SIGTERM)


@pytest.fixture
def operator(start_operator: Callable[..., OperatorProcess]) -> OperatorProcess:
    """One operator process, ready."""
    return start_operator()
