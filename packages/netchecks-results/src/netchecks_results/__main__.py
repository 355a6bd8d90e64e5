"""``netchecks-results``: run the results service until SIGTERM.

Exit codes: 0 after a clean shutdown, 2 when the settings or the Kubernetes
configuration are invalid (the message says which and why).
"""

from __future__ import annotations

import logging
import sys
import threading

from netchecks_service.controller import serve_controller
from netchecks_service.kube import KubeApi, load_api_client
from netchecks_service.runtime import parse_command_line, run_service

from netchecks_results.controller import ResultsController
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.report import VERSION
from netchecks_results.settings import ResultsSettings

log = logging.getLogger("netchecks_results")


def run(settings: ResultsSettings, stop: threading.Event) -> None:
    """Run the service with ``settings`` until ``stop`` is set (the runtime's shutdown order)."""
    api = KubeApi(load_api_client(settings.kubeconfig, pool_size=settings.workers + 8))
    controller = ResultsController(settings, api, ResultsMetrics(settings.max_rule_series))
    log.info(
        "netchecks-results %s: health and metrics on %s, writing %s",
        VERSION,
        settings.http_addr,
        ", ".join(settings.report_apis),
    )
    serve_controller(
        "netchecks-results",
        settings,
        api,
        controller,
        controller.caches.groups(),
        stop,
        close=controller.caches.close,
    )


def main(argv: list[str] | None = None) -> int:
    """Console script entry point."""
    parse_command_line(
        "netchecks-results",
        VERSION,
        "Turn finished probe Pods into PolicyReports.",
        argv,
    )
    return run_service("netchecks-results", VERSION, ResultsSettings, run)


if __name__ == "__main__":
    sys.exit(main())
