"""Start-up and shutdown: caches, workers, leader election and HTTP (the runtime's order)."""

from __future__ import annotations

import logging
import threading

from netchecks_service.controller import serve_controller
from netchecks_service.runtime import run_service

from netchecks_operator import __version__
from netchecks_operator.controller import OperatorController
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings

log = logging.getLogger("netchecks_operator")


def run() -> int:
    """Run until SIGTERM/SIGINT; 0 on a clean stop, 2 on bad settings or configuration."""
    return run_service("netchecks-operator", __version__, OperatorSettings, serve)


def serve(settings: OperatorSettings, stop: threading.Event) -> None:
    """Run the operator until ``stop`` is set; reconciles in progress finish first."""
    cluster = Cluster(settings)
    controller = OperatorController(settings, cluster)
    log.info("netchecks-operator %s starting (probe image %s)", __version__, settings.probe_image)
    serve_controller(
        "netchecks-operator",
        settings,
        cluster.api,
        controller,
        list(cluster.informers.values()),
        stop,
        close=cluster.close,
    )
