"""What the service benchmarks share: kubesim with the CRDs, a service process, its /metrics."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import yaml
from netchecks_service.kube import CRDS, KubeApi, load_api_client

from tests.kubesim.pytest_plugin import test_settings
from tests.kubesim.sim import KubeSim

ROOT = Path(__file__).resolve().parents[1]
CRD_FILES = ("netchecks.io_networkassertions.yaml", "wgpolicyk8s.io_policyreports.yaml")


@dataclass
class Cluster:
    """A running kubesim with the netchecks and PolicyReport CRDs installed."""

    sim: KubeSim
    work: Path
    kubeconfig: Path
    api: KubeApi


@contextmanager
def kubesim(prefix: str, *, pool_size: int = 16) -> Iterator[Cluster]:
    """Start kubesim in a new temporary directory, install the CRDs; stop it on exit."""
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    work = Path(tempfile.mkdtemp(prefix=prefix))
    sim = KubeSim(test_settings(work_dir=work)).start()
    try:
        kubeconfig = sim.write_kubeconfig(work / "kubeconfig")
        api = KubeApi(load_api_client(str(kubeconfig), pool_size=pool_size))
        for name in CRD_FILES:
            crd = yaml.safe_load((ROOT / "charts/netchecks/files/crds" / name).read_text())
            api.create(CRDS, crd)
        yield Cluster(sim, work, kubeconfig, api)
    finally:
        sim.stop()


@dataclass
class Service:
    """A service process and the base URL of its health and metrics server."""

    process: subprocess.Popen[bytes]
    base: str

    def metrics(self) -> str:
        """The text of ``/metrics``."""
        return httpx.get(f"{self.base}/metrics").text

    def peak_rss_kb(self) -> int:
        """Peak resident set size of the process so far (VmHWM), in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(hwm.split()[1])


@contextmanager
def service(
    argv: Sequence[str], cluster: Cluster, log_name: str, env: dict[str, str]
) -> Iterator[Service]:
    """Run ``argv`` against ``cluster`` (health and metrics on a free port) until ready.

    ``env`` adds to the environment (``NETCHECKS_*``); output goes to ``log_name`` in the
    work directory. The process is terminated on exit.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    full_env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "NETCHECKS_HTTP_ADDR": f"127.0.0.1:{port}",
        "NETCHECKS_LOG_LEVEL": "WARNING",
        **env,
    }
    log: IO[bytes]
    with (cluster.work / log_name).open("wb") as log:
        process = subprocess.Popen(list(argv), env=full_env, stdout=log, stderr=log)
        try:
            running = Service(process, f"http://127.0.0.1:{port}")
            wait_ready(running.base)
            yield running
        finally:
            process.terminate()
            process.wait(timeout=15)


def wait_ready(base: str, timeout: float = 30.0) -> None:
    """Wait (at most ``timeout`` seconds) until ``base/readyz`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)


def requests_by_verb(metrics: str) -> dict[str, float]:
    """API requests the service made, by HTTP verb (``netchecks_kube_requests_total``)."""
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("netchecks_kube_requests_total{"):
            verb = line.split('verb="', 1)[1].split('"', 1)[0]
            out[verb] = out.get(verb, 0.0) + float(line.rsplit(" ", 1)[1])
    return out
