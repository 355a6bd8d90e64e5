"""kubesim: a simulated Kubernetes control plane for tests (see README.md).

Public surface::

    from tools.kubesim import KubeSim, Settings, ImageMapping

    with KubeSim() as sim:
        sim.write_kubeconfig(path)
        sim.faults.fail_next(2, code=503, verb="get", path="/leases/")
        sim.clock.advance(60)
        sim.controllers.cronjobs.trigger("ns", "my-cronjob")
"""

from __future__ import annotations

from .errors import ApiError
from .settings import ImageMapping, Settings
from .sim import KubeSim

__all__ = ["ApiError", "ImageMapping", "KubeSim", "Settings"]
