"""Where the end-to-end tests run: kubesim (default) or a real cluster.

Set ``NETCHECKS_E2E_KUBECONFIG`` to a kubeconfig and the same end-to-end tests
(``tests/operator``, ``tests/results``) run against that cluster: the operator and
results service still start as local processes with that kubeconfig, and probe Pods
run in the cluster from ``NETCHECKS_E2E_PROBE_IMAGE``. Targets the probes must reach
listen on ``NETCHECKS_E2E_TARGET_HOST``, an address of this machine that Pods can
reach (for kind: the gateway of the ``kind`` Docker network).

Tests that need kubesim itself -- fault injection, the simulated clock, killing Pods,
or targets that only listen on loopback -- are marked ``kubesim_only`` (automatically,
from the fixtures they use) and skipped against a real cluster, saying so.

An end-to-end ``conftest.py`` takes every cluster fixture from here (kubesim's,
with ``kubeconfig``, ``kube_namespace`` and ``http_server`` chosen by the mode)::

    from tests.e2e_cluster import *  # noqa: F403
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.kubesim.pytest_plugin import (
    exported_kubeconfig,
    kube_api,
    kube_faults,
    kubesim,
    make_kubesim,
)
from tools.targets.http import HttpServer
from tools.targets.local import LocalTargets

__all__ = [
    "http_server",
    "kube_api",
    "kube_faults",
    "kube_namespace",
    "kubeconfig",
    "kubesim",
    "make_kubesim",
    "pytest_collection_modifyitems",
    "pytest_configure",
]

#: A kubeconfig of a real cluster to run the end-to-end tests against.
REAL_KUBECONFIG = os.environ.get("NETCHECKS_E2E_KUBECONFIG") or None
#: The probe image the cluster runs (loaded into kind, or pullable).
PROBE_IMAGE = os.environ.get("NETCHECKS_E2E_PROBE_IMAGE", "ghcr.io/netchecks/netchecks-probe:test")
#: An address of this machine that Pods of the real cluster can reach.
TARGET_HOST = os.environ.get("NETCHECKS_E2E_TARGET_HOST", "")
#: Fixtures only kubesim provides, or targets Pods of a real cluster cannot reach.
KUBESIM_FIXTURES = frozenset(
    {"kubesim", "kube_faults", "make_kubesim", "local_targets", "dns_server", "servfail_dns_server"}
)
MARKER = "kubesim_only"


def real_cluster() -> bool:
    """Whether the end-to-end tests run against a real cluster."""
    return REAL_KUBECONFIG is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: needs kubesim itself (fault injection, its clock, loopback targets); "
        "skipped when NETCHECKS_E2E_KUBECONFIG points at a real cluster",
    )
    if real_cluster():
        # The operator processes the tests start read these (they inherit the environment).
        repository, _, tag = PROBE_IMAGE.rpartition(":")
        os.environ.setdefault("NETCHECKS_PROBE_IMAGE_REPOSITORY", repository)
        os.environ.setdefault("NETCHECKS_PROBE_IMAGE_TAG", tag)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if KUBESIM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(MARKER)
        if real_cluster() and item.get_closest_marker(MARKER):
            item.add_marker(
                pytest.mark.skip(reason="kubesim only (fault injection, clock or loopback targets)")
            )


@pytest.fixture(scope="session")
def kubeconfig(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The cluster's kubeconfig (kubesim's unless NETCHECKS_E2E_KUBECONFIG), as ``KUBECONFIG``."""
    if REAL_KUBECONFIG is None:
        sim = request.getfixturevalue("kubesim")
        path: Path = sim.write_kubeconfig(
            request.getfixturevalue("tmp_path_factory").mktemp("kubeconfig") / "config"
        )
    else:
        path = Path(REAL_KUBECONFIG).expanduser().resolve()
        if not path.is_file():
            raise pytest.UsageError(f"NETCHECKS_E2E_KUBECONFIG={REAL_KUBECONFIG}: no such file")
    with exported_kubeconfig(path):
        yield path


@pytest.fixture
def kube_namespace(kube_api: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted (with its content) afterwards."""
    from kubernetes import client

    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{secrets.token_hex(3)}"
    core = client.CoreV1Api(kube_api)
    core.create_namespace({"metadata": {"name": name, "labels": {"netchecks.io/e2e": "true"}}})
    yield name
    try:
        core.delete_namespace(name)
    except client.ApiException as error:
        if error.status != 404:  # the test may have deleted it already
            raise


@pytest.fixture(scope="session")
def http_server(request: pytest.FixtureRequest) -> Iterator[HttpServer]:
    """The HTTP target: on loopback for kubesim, on NETCHECKS_E2E_TARGET_HOST for a cluster."""
    if not real_cluster():
        targets: LocalTargets = request.getfixturevalue("local_targets")
        yield targets.http
        return
    if not TARGET_HOST:
        raise pytest.UsageError(
            "NETCHECKS_E2E_TARGET_HOST: set it to an address of this machine that Pods reach "
            "(kind: docker network inspect kind -f '{{(index .IPAM.Config 0).Gateway}}')"
        )
    with HttpServer(host=TARGET_HOST) as server:
        yield server
