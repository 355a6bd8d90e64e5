"""What the service benchmarks share: kubesim with the CRDs, a service process, its /metrics."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from netchecks_service.kube import KubeApi

from tools.harness import ServiceProcess, connect, install_crds
from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.sim import KubeSim


@dataclass
class Cluster:
    """A running kubesim with the netchecks and report CRDs installed."""

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
        api = connect(kubeconfig, pool_size=pool_size)
        install_crds(api)
        yield Cluster(sim, work, kubeconfig, api)
    finally:
        sim.stop()


def service(command: str, cluster: Cluster, **env: str) -> ServiceProcess:
    """``command`` against ``cluster``, logging warnings only to its work directory.

    ``env`` adds to the environment (``NETCHECKS_*``). Use it as a context manager: it is
    ready inside and terminated on exit.
    """
    env = {"NETCHECKS_LOG_LEVEL": "WARNING", **env}
    return ServiceProcess(command, cluster.kubeconfig, None, cluster.work, **env)


def requests_by_verb(metrics: str) -> dict[str, float]:
    """API requests the service made, by HTTP verb (``netchecks_kube_requests_total``)."""
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("netchecks_kube_requests_total{"):
            verb = line.split('verb="', 1)[1].split('"', 1)[0]
            out[verb] = out.get(verb, 0.0) + float(line.rsplit(" ", 1)[1])
    return out
