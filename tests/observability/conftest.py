"""Fixtures of the observability tests: a cluster (kubesim), the CRDs, both services."""

from __future__ import annotations

from tests.e2e_cluster import *  # noqa: F403 - kubesim or a real cluster (NETCHECKS_E2E_KUBECONFIG)
from tests.results.conftest import netchecks_crds

__all__ = ["netchecks_crds"]
