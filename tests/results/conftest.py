"""Fixtures of the results service's end-to-end tests (kubesim + real processes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client
from netchecks_service.kube import KubeApi

from tests.e2e_cluster import *  # noqa: F403 - kubesim or a real cluster (NETCHECKS_E2E_KUBECONFIG)
from tests.results.harness import Cluster
from tools.harness import ServiceProcess, install_crds


@pytest.fixture(scope="session")
def netchecks_crds(kube_api: client.ApiClient) -> None:
    """The NetworkAssertion and report CRDs, installed once."""
    install_crds(KubeApi(kube_api))


@pytest.fixture
def cluster(netchecks_crds: None, kube_api: client.ApiClient, kube_namespace: str) -> Cluster:
    """The test's namespace, driven through the official client."""
    return Cluster(kube_api, kube_namespace)


@pytest.fixture
def start_results(
    kubeconfig: Path, kube_namespace: str, tmp_path: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start ``netchecks-results`` processes watching the test's namespace."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        service = ServiceProcess("netchecks-results", kubeconfig, kube_namespace, tmp_path, **env)
        started.append(service.start())
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def operator(kubeconfig: Path, kube_namespace: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    """A ``netchecks-operator`` process watching the test's namespace."""
    with ServiceProcess("netchecks-operator", kubeconfig, kube_namespace, tmp_path) as service:
        yield service


@pytest.fixture
def results(start_results: Callable[..., ServiceProcess]) -> ServiceProcess:
    """One running results service."""
    return start_results()
