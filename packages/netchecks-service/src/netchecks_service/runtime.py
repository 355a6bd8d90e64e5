"""Process life: the command line, start-up and a clean stop on SIGTERM/SIGINT.

:func:`run_service` is the ``main`` of every service: settings, logging, metrics and
signals, then the service's own ``serve``; :func:`serve_health` and :func:`campaign`
are the parts each ``serve`` starts the same way (health/metrics HTTP, leader election).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TypeVar

from netchecks_service.errors import ServiceError, SettingsError
from netchecks_service.health import Health, HttpServer, create_app
from netchecks_service.kube import KubeApi
from netchecks_service.leader import LeaderElector
from netchecks_service.logs import configure_logging
from netchecks_service.memory import limit_arenas, trim_periodically
from netchecks_service.settings import ServiceSettings, load_settings
from netchecks_service.telemetry import setup_metrics, shutdown_metrics

log = logging.getLogger(__name__)

S = TypeVar("S", bound=ServiceSettings)


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT (call from the main thread).

    A second signal while stopping exits at once, for a stuck shutdown.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            raise SystemExit(1)
        log.info("%s received: shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def parse_command_line(
    prog: str, version: str, description: str, argv: Sequence[str] | None = None
) -> None:
    """Answer ``--help`` and ``--version`` (and exit); refuse any other argument.

    The services are configured by their environment only; the command line exists
    so an image can be checked (``netchecks-operator --version``) without a cluster.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Configured by environment variables (NETCHECKS_*): see the package README.",
    )
    parser.add_argument("--version", action="version", version=f"{prog} {version}")
    parser.parse_args(argv)


#: The API server accepts objects nested up to 10,000 levels (apimachinery's JSON
#: depth limit); a deeper recursion limit and thread stacks let every response decode.
API_MAX_DEPTH = 10_000
#: Stack of each thread started afterwards (virtual memory; pages are used on demand).
THREAD_STACK_BYTES = 64 * 1024 * 1024


def allow_api_nesting() -> None:
    """Let JSON from the API decode at any depth it accepts (call before threads start).

    One user's NetworkAssertion nested 1,200 levels deep must not stop a list of every
    assertion with RecursionError. What the services then walk is bounded
    iteratively (:mod:`netchecks_core.depth`), before any recursive walk.
    """
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3 * API_MAX_DEPTH))
    threading.stack_size(THREAD_STACK_BYTES)


def run_service(
    prog: str,
    version: str,
    settings_cls: type[S],
    serve: Callable[[S, threading.Event], None],
) -> int:
    """Run a service until SIGTERM/SIGINT; 0 after a clean stop, 2 on bad settings or configuration.

    Loads ``settings_cls`` from the environment (a bad variable: message on stderr), sets
    up logging, the stop signals and metrics, then calls ``serve(settings, stop)``, which
    starts the service's own parts, waits for ``stop`` and shuts them down. A
    :class:`ServiceError` out of ``serve`` (bad Kubernetes configuration, the HTTP port
    taken) is logged and exits 2.
    """
    limit_arenas()
    try:
        settings = load_settings(settings_cls)
        configure_logging(settings.log_level, settings.log_format == "json")
        setup_metrics(prog, version)
    except SettingsError as error:
        sys.stderr.write(f"{prog}: {error}\n")
        return 2
    allow_api_nesting()
    # Log under the service's package logger (``netchecks_operator``...), as its own lines do.
    service_log = logging.getLogger(prog.replace("-", "_"))
    stop = threading.Event()
    stop_on_signals(stop)
    trim_periodically(stop)
    try:
        serve(settings, stop)
    except ServiceError as error:
        service_log.error("%s", error)  # the message is the whole story: no traceback
        return 2
    shutdown_metrics()
    service_log.info("stopped")
    return 0


def serve_health(
    prog: str, addr: str, *, synced: Callable[[], bool], alive: Callable[[], bool]
) -> HttpServer:
    """Serve ``/readyz`` (once ``synced``), ``/livez`` (while ``alive``) and ``/metrics``.

    Raises :class:`ServiceError` when ``addr`` cannot be bound.
    """
    health = Health()
    health.add_ready("informers-synced", synced)
    health.add_live("workers", alive)
    try:
        return HttpServer(create_app(health, prog), addr).start()
    except OSError as error:
        raise ServiceError(f"cannot serve health and metrics on {addr}: {error}") from error


def campaign(
    settings: ServiceSettings,
    api: KubeApi,
    *,
    on_started: Callable[[], None],
    on_stopped: Callable[[], None],
) -> LeaderElector | None:
    """Campaign for the Lease ``settings.lease_name``; None when election is off.

    With ``leader_election`` off this replica leads at once: ``on_started`` is called here.
    Set the elector's ``stop`` and :meth:`LeaderElector.join` it to release the Lease.
    """
    if not settings.leader_election:
        on_started()
        return None
    elector = LeaderElector(
        api,
        name=settings.lease_name,
        namespace=settings.lease_namespace,
        identity=settings.identity,
        lease_duration=settings.lease_duration,
        renew_deadline=settings.renew_deadline,
        retry_period=settings.retry_period,
        on_started=on_started,
        on_stopped=on_stopped,
    )
    elector.start()
    return elector
