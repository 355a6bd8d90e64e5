"""``netchecks-results``: run the results service until SIGTERM.

Exit codes: 0 after a clean shutdown, 2 when the settings or the Kubernetes
configuration are invalid (the message says which and why).
"""

from __future__ import annotations

import logging
import sys
import threading
from importlib.metadata import PackageNotFoundError, version

from netchecks_core.service.errors import ServiceError
from netchecks_core.service.health import Health, HttpServer, create_app
from netchecks_core.service.kube import KubeApi, load_api_client
from netchecks_core.service.leader import LeaderElector
from netchecks_core.service.logs import configure_logging
from netchecks_core.service.runtime import parse_command_line, stop_on_signals
from netchecks_core.service.settings import load_settings
from netchecks_core.service.telemetry import setup_metrics, shutdown_metrics

from netchecks_results.controller import ResultsController
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.settings import ResultsSettings

log = logging.getLogger("netchecks_results")


def _version() -> str:
    try:
        return version("netchecks-results")
    except PackageNotFoundError:
        return "0.0.0"


def run(settings: ResultsSettings, stop: threading.Event) -> None:
    """Run the service with ``settings`` until ``stop`` is set."""
    setup_metrics("netchecks-results", _version())
    api = KubeApi(load_api_client(settings.kubeconfig, pool_size=settings.workers + 8))
    controller = ResultsController(
        settings, api, ResultsMetrics(settings.max_rule_series), stop=stop
    )
    health = Health()
    health.add_ready("informers-synced", controller.synced)
    health.add_live("workers", controller.workers_alive)
    server = HttpServer(create_app(health, "netchecks-results"), settings.http_addr).start()
    log.info(
        "netchecks-results %s: health and metrics on %s, writing %s",
        _version(),
        settings.http_addr,
        ", ".join(settings.report_apis),
    )
    controller.start()
    election: threading.Thread | None = None
    if settings.leader_election:
        election = LeaderElector(
            api,
            name=settings.lease_name,
            namespace=settings.lease_namespace,
            identity=settings.identity,
            lease_duration=settings.lease_duration,
            renew_deadline=settings.renew_deadline,
            retry_period=settings.retry_period,
            on_started=controller.on_started_leading,
            on_stopped=controller.on_stopped_leading,
            stop=stop,
        ).start()
    else:
        controller.on_started_leading()
    stop.wait()
    log.info("stopping")
    if election is not None:
        election.join(timeout=10)  # it releases the Lease so a successor takes over at once
    controller.shutdown()
    server.stop()
    shutdown_metrics()


def main(argv: list[str] | None = None) -> int:
    """Console script entry point."""
    parse_command_line(
        "netchecks-results",
        _version(),
        "Turn finished probe Pods into PolicyReports.",
        argv,
    )
    try:
        settings = load_settings(ResultsSettings)
    except ServiceError as error:
        print(f"netchecks-results: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 2
    configure_logging(settings.log_level, settings.log_format == "json")
    stop = threading.Event()
    stop_on_signals(stop)
    try:
        run(settings, stop)
    except ServiceError as error:
        log.error("%s", error)  # noqa: TRY400 - the message says it all
        return 2
    except OSError as error:
        log.error("cannot serve health and metrics on %s: %s", settings.http_addr, error)  # noqa: TRY400
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
