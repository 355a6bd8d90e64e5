"""In-process tests of the service plumbing and the controllers against kubesim.

No service process is started: the code under test runs in the test's process and
talks HTTP to kubesim through the real :class:`KubeApi`. ``sim.requests`` (the
request log) shows which API calls it made, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netchecks_core.service.kube import KubeApi, load_api_client

from tests.kubesim import KubeSim
from tests.kubesim.pytest_plugin import (  # noqa: F401 - fixtures used by the tests here
    kube_api,
    kube_faults,
    kube_namespace,
    kube_requests,
    kubeconfig,
    kubesim,
    make_kubesim,
)


def kube_api_for(sim: KubeSim, directory: Path) -> KubeApi:
    """The netchecks JSON adapter bound to ``sim`` (a kubeconfig written in ``directory``)."""
    client = load_api_client(str(sim.write_kubeconfig(directory / f"kubeconfig-{sim.port}")))
    client.configuration.proxy = None
    return KubeApi(client, request_timeout=10.0)


@pytest.fixture(scope="session")
def kube(kubeconfig: Path) -> Iterator[KubeApi]:  # noqa: F811 - the imported fixture
    """The netchecks JSON adapter bound to the session's kubesim."""
    client = load_api_client(str(kubeconfig))
    client.configuration.proxy = None
    yield KubeApi(client, request_timeout=10.0)
    client.close()


@pytest.fixture
def private_kube(
    make_kubesim: Callable[..., KubeSim],  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> Callable[..., tuple[KubeSim, KubeApi]]:
    """``private_kube(**settings)``: a private kubesim (no controllers unless asked) and an
    adapter bound to it, for tests that change server-wide settings or faults."""

    def make(**settings: object) -> tuple[KubeSim, KubeApi]:
        settings.setdefault("controllers", False)
        sim = make_kubesim(**settings)
        return sim, kube_api_for(sim, tmp_path)

    return make
