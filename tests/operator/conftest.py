"""End-to-end fixtures: kubesim with the CRDs, and the operator started as a real process."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netchecks_service.kube import KubeApi

from tests.e2e_cluster import *  # noqa: F403 - kubesim or a real cluster (NETCHECKS_E2E_KUBECONFIG)
from tools.harness import ServiceProcess, connect, install_crds


@pytest.fixture(scope="session")
def api(kubeconfig: Path) -> Iterator[KubeApi]:
    """The core JSON adapter bound to kubesim, with the CRDs installed."""
    kube = connect(kubeconfig)
    install_crds(kube)
    yield kube
    kube.api_client.close()


@pytest.fixture
def start_operator(
    api: KubeApi, kubeconfig: Path, kube_namespace: str, tmp_path: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start operator processes watching the test's namespace; all stopped afterwards."""
    started: list[ServiceProcess] = []

    def start(wait_ready: bool = True, **env: str) -> ServiceProcess:
        proc = ServiceProcess("netchecks-operator", kubeconfig, kube_namespace, tmp_path, **env)
        started.append(proc.start(wait=wait_ready))
        return proc

    yield start
    for proc in started:
        proc.stop(signal.SIGKILL)


@pytest.fixture
def operator(start_operator: Callable[..., ServiceProcess]) -> ServiceProcess:
    """One operator process, ready."""
    return start_operator()
