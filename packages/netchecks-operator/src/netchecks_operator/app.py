"""Start-up and shutdown: settings, logs, metrics, caches, leader election, workers, HTTP."""

from __future__ import annotations

import logging
import sys
import threading

from netchecks_core.service.errors import ServiceError, SettingsError
from netchecks_core.service.health import Health, HttpServer, create_app
from netchecks_core.service.leader import LeaderElector
from netchecks_core.service.logs import configure_logging
from netchecks_core.service.runtime import stop_on_signals
from netchecks_core.service.settings import load_settings
from netchecks_core.service.telemetry import setup_metrics, shutdown_metrics

from netchecks_operator import __version__
from netchecks_operator.controller import Controller
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings

log = logging.getLogger("netchecks_operator")


def run() -> int:
    """Run until SIGTERM/SIGINT; 0 on a clean stop, 2 on bad settings or configuration."""
    try:
        settings = load_settings(OperatorSettings)
    except SettingsError as error:
        sys.stderr.write(f"netchecks-operator: {error}\n")
        return 2
    configure_logging(settings.log_level, settings.log_format == "json")
    setup_metrics("netchecks-operator", __version__)
    try:
        cluster = Cluster(settings)
    except ServiceError as error:
        log.error("%s", error)  # noqa: TRY400 - the message is the whole story
        return 2
    controller = Controller(settings, cluster)
    health = Health()
    health.add_ready("informers-synced", cluster.synced)
    health.add_live("workers", controller.alive)
    try:
        server = HttpServer(create_app(health, "netchecks-operator"), settings.http_addr).start()
    except OSError as error:
        log.error("cannot serve health and metrics on %s: %s", settings.http_addr, error)  # noqa: TRY400
        return 2
    stop = threading.Event()
    stop_on_signals(stop)
    log.info("netchecks-operator %s starting (probe image %s)", __version__, settings.probe_image)
    cluster.start()
    controller.start()
    elector: LeaderElector | None = None
    if settings.leader_election:
        elector = LeaderElector(
            cluster.api,
            name=settings.lease_name,
            namespace=settings.lease_namespace,
            identity=settings.identity,
            lease_duration=settings.lease_duration,
            renew_deadline=settings.renew_deadline,
            retry_period=settings.retry_period,
            on_started=controller.start_leading,
            on_stopped=controller.stop_leading,
        )
        elector.start()
    else:
        controller.start_leading()
    stop.wait()
    log.info("stopping: finishing reconciles in progress")
    controller.stop_leading()
    controller.shutdown()
    if elector is not None:
        elector.stop.set()
        if elector._thread is not None:
            elector._thread.join(timeout=10)
    cluster.close()
    server.stop()
    shutdown_metrics()
    log.info("stopped")
    return 0
