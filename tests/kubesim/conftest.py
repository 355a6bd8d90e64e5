"""kubesim's own tests: fixtures from the plugin, plus client helpers."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.kubesim.pytest_plugin import (  # noqa: E402, F401
    kube_api,
    kube_faults,
    kube_namespace,
    kube_requests,
    kubeconfig,
    kubesim,
    make_kubesim,
)
