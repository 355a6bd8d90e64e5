"""A directory served over HTTP on loopback, as ``python3 -m http.server`` serves it.

The CI examples start ``python3 -m http.server`` in the job; tests use this target (the
same stdlib handler) on a free port instead of a fixed one.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from tools.targets.base import Target


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: test output stays readable."""


class StaticSite(Target):
    """``directory`` served at ``http://127.0.0.1:<free port>``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Bind a free port and serve in a background thread."""
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (safe to call twice)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
