"""kubesim's own tests: fixtures from the plugin, plus client helpers."""

from __future__ import annotations

from tools.kubesim.pytest_plugin import (  # noqa: F401
    kube_api,
    kube_faults,
    kube_namespace,
    kubeconfig,
    kubesim,
    make_kubesim,
)
