"""The real kubectl against a session kubesim, with the NetworkAssertion CRD installed
the way the docs tell users to (``kubectl apply -f`` the chart's CRD file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kubectl.kubectl import Kubectl
from tools.kubesim.pytest_plugin import (  # noqa: F401 - fixtures
    kube_faults,
    kube_namespace,
    kubeconfig,
    kubesim,
    make_kubesim,
)

ROOT = Path(__file__).resolve().parents[2]
CRD_FILE = ROOT / "charts/netchecks/files/crds/netchecks.io_networkassertions.yaml"


@pytest.fixture(scope="session")
def kubectl_session(
    kubeconfig: Path,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> Kubectl:
    """kubectl for the session's kubesim, with the NetworkAssertion CRD applied."""
    tool = Kubectl(kubeconfig, tmp_path_factory.mktemp("kubectl-cache"))
    applied = tool.out("apply", "-f", str(CRD_FILE))
    assert "networkassertions.netchecks.io" in applied
    tool.run("wait", "--for=condition=Established", "crd/networkassertions.netchecks.io")
    return tool


@pytest.fixture
def kubectl(
    kubectl_session: Kubectl,
    kube_namespace: str,  # noqa: F811 - the fixture imported above
) -> Iterator[Kubectl]:
    """kubectl working in a fresh namespace of its own."""
    yield kubectl_session.in_namespace(kube_namespace)
