"""Start-up and shutdown: caches, workers, leader election and HTTP, in the operator's order."""

from __future__ import annotations

import logging
import threading

from netchecks_service.runtime import campaign, run_service, serve_health

from netchecks_operator import __version__
from netchecks_operator.controller import Controller
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings

log = logging.getLogger("netchecks_operator")


def run() -> int:
    """Run until SIGTERM/SIGINT; 0 on a clean stop, 2 on bad settings or configuration."""
    return run_service("netchecks-operator", __version__, OperatorSettings, serve)


def serve(settings: OperatorSettings, stop: threading.Event) -> None:
    """Run the operator until ``stop`` is set; reconciles in progress finish first."""
    cluster = Cluster(settings)
    controller = Controller(settings, cluster)
    server = serve_health(
        "netchecks-operator", settings.http_addr, synced=cluster.synced, alive=controller.alive
    )
    log.info("netchecks-operator %s starting (probe image %s)", __version__, settings.probe_image)
    cluster.start()
    controller.start()
    elector = campaign(
        settings,
        cluster.api,
        settings.lease_name,
        on_started=controller.start_leading,
        on_stopped=controller.stop_leading,
    )
    stop.wait()
    log.info("stopping: finishing reconciles in progress")
    controller.stop_leading()
    controller.shutdown()
    # The Lease goes only now, so a successor never overlaps reconciles still running here.
    if elector is not None:
        elector.stop.set()
        elector.join(timeout=10)
    cluster.close()
    server.stop()
