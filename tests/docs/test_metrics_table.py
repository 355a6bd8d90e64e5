"""The operating guide's metrics table is what the services really export: every
netchecks metric of their ``/metrics``, with its type and labels."""

from __future__ import annotations

import pytest

from tests.e2e_cluster import kube_api, kubeconfig, kubesim
from tests.observability.services import RARE, documented_metrics, expositions, families
from tests.results.conftest import netchecks_crds

__all__ = ["expositions", "kube_api", "kubeconfig", "kubesim", "netchecks_crds"]  # fixtures


@pytest.mark.timeout(120)
def test_operating_guide_lists_exactly_the_netchecks_metrics_with_their_types_and_labels(
    expositions: list[str],
) -> None:
    documented = documented_metrics()
    real = families(expositions)

    assert {n: d for n, d in documented.items() if n in real} == real
    assert set(documented) - set(real) <= RARE
