"""``netchecks-results``: run the results service until SIGTERM.

Exit codes: 0 after a clean shutdown, 2 when the settings or the Kubernetes
configuration are invalid (the message says which and why).
"""

from __future__ import annotations

import logging
import sys
import threading
from importlib.metadata import PackageNotFoundError, version

from netchecks_service.kube import KubeApi, load_api_client
from netchecks_service.runtime import (
    campaign,
    parse_command_line,
    run_service,
    serve_health,
)

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
    api = KubeApi(load_api_client(settings.kubeconfig, pool_size=settings.workers + 8))
    controller = ResultsController(
        settings, api, ResultsMetrics(settings.max_rule_series), stop=stop
    )
    server = serve_health(
        "netchecks-results",
        settings.http_addr,
        synced=controller.synced,
        alive=controller.workers_alive,
    )
    log.info(
        "netchecks-results %s: health and metrics on %s, writing %s",
        _version(),
        settings.http_addr,
        ", ".join(settings.report_apis),
    )
    controller.start()
    # The elector shares ``stop``: the Lease is released as soon as stopping begins.
    elector = campaign(
        settings,
        api,
        settings.lease_name,
        on_started=controller.on_started_leading,
        on_stopped=controller.on_stopped_leading,
        stop=stop,
    )
    stop.wait()
    log.info("stopping")
    if elector is not None:
        elector.join(timeout=10)  # it releases the Lease so a successor takes over at once
    controller.shutdown()
    server.stop()


def main(argv: list[str] | None = None) -> int:
    """Console script entry point."""
    parse_command_line(
        "netchecks-results",
        _version(),
        "Turn finished probe Pods into PolicyReports.",
        argv,
    )
    return run_service("netchecks-results", _version(), ResultsSettings, run)


if __name__ == "__main__":
    sys.exit(main())
