"""A small HTTP API standing in for the services the example assertions check.

``GET /version`` answers ``{"status": "ok", "version": ...}`` (401 without the right
``Authorization: Bearer <token>`` when the API has a token), ``GET /healthz`` answers
``ok``; anything else is 404.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "1.4.2"


class _Handler(BaseHTTPRequestHandler):
    server: _ApiServer

    def do_GET(self) -> None:
        token = self.server.token
        if token and self.headers.get("Authorization") != f"Bearer {token}":
            self._send(401, {"error": "unauthorized"})
        elif self.path == "/version":
            self._send(200, {"status": "ok", "version": VERSION})
        elif self.path == "/healthz":
            self._send(200, "ok")
        else:
            self._send(404, {"error": "not found"})

    def _send(self, code: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the demo prints what matters


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    token: str | None = None


class DemoApi:
    """The API on ``127.0.0.1:<free port>``."""

    def __init__(self, token: str | None = None) -> None:
        self._server = _ApiServer(("127.0.0.1", 0), _Handler)
        self._server.token = token
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> DemoApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
