"""Health and metrics over HTTP (FastAPI on uvicorn): ``/livez`` (also ``/healthz``, the
0.10 path), ``/readyz``, ``/metrics``.

Health reflects the service's loops, never a constant: register checks on a
:class:`Health` (e.g. "watches synced", "worker heartbeat fresh") and the
endpoints answer 200 only while all of them hold, else 503 with the failing
names. :class:`Heartbeat` is the usual liveness check of a loop.

    health = Health()
    health.add_ready("informers-synced", lambda: all(i.synced.is_set() for i in informers))
    health.add_live("worker", heartbeat.fresh)
    server = HttpServer(create_app(health), "0.0.0.0:8080").start()
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from netchecks_service.telemetry import prometheus_text

log = logging.getLogger(__name__)

Check = Callable[[], bool]


class Heartbeat:
    """A loop calls :meth:`beat` each turn; it is alive while the last beat is recent."""

    def __init__(self, max_age: float = 60.0) -> None:
        self.max_age = max_age
        self._last = time.monotonic()

    def beat(self) -> None:
        """Record that the loop is turning."""
        self._last = time.monotonic()

    def fresh(self) -> bool:
        """Whether the loop beat within ``max_age`` seconds."""
        return time.monotonic() - self._last <= self.max_age


class Health:
    """Named liveness and readiness checks."""

    def __init__(self) -> None:
        self._live: dict[str, Check] = {}
        self._ready: dict[str, Check] = {}
        self._lock = threading.Lock()

    def add_live(self, name: str, check: Check) -> None:
        """A check that must hold for ``/livez`` (and ``/readyz``)."""
        with self._lock:
            self._live[name] = check

    def add_ready(self, name: str, check: Check) -> None:
        """A check that must hold for ``/readyz``."""
        with self._lock:
            self._ready[name] = check

    @staticmethod
    def _failing(checks: dict[str, Check]) -> list[str]:
        failing = []
        for name, check in checks.items():
            try:
                ok = check()
            except Exception:
                log.exception("health check %s raised", name)
                ok = False
            if not ok:
                failing.append(name)
        return failing

    def live(self) -> list[str]:
        """Names of failing liveness checks (empty: live)."""
        with self._lock:
            checks = dict(self._live)
        return self._failing(checks)

    def ready(self) -> list[str]:
        """Names of failing readiness (and liveness) checks (empty: ready)."""
        with self._lock:
            checks = {**self._live, **self._ready}
        return self._failing(checks)


def create_app(health: Health, title: str = "netchecks") -> FastAPI:
    """The health and metrics app."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)

    def _answer(failing: list[str]) -> JSONResponse:
        if failing:
            return JSONResponse({"status": "failing", "failing": failing}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/livez")
    @app.get("/healthz")  # what Netchecks 0.10's manifests probe
    def livez() -> JSONResponse:
        return _answer(health.live())

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        return _answer(health.ready())

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        body, content_type = prometheus_text()
        return Response(content=body, media_type=content_type)

    return app


def parse_http_addr(addr: str) -> tuple[str, int]:
    """``"0.0.0.0:8080"`` -> ``("0.0.0.0", 8080)``; ``"[::]:8080"`` works too."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{addr!r} is not HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - a server address


class HttpServer:
    """uvicorn serving an app from a daemon thread; :meth:`stop` ends it."""

    def __init__(self, app: FastAPI, addr: str) -> None:
        host, port = parse_http_addr(addr)
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> HttpServer:
        """Start serving; returns once the socket listens (raises if it cannot)."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve()), name="http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError("the health/metrics HTTP server did not start")
            time.sleep(0.02)
        return self

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise OSError("not listening")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
