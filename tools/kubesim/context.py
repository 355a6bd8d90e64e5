"""The per-request state the API layer keeps while one HTTP request is served."""

from __future__ import annotations

import threading


class RequestContext(threading.local):
    """Per-request options and warnings (one HTTP request = one handler thread)."""

    def __init__(self) -> None:
        # Controller threads never read warnings: they write as if with Ignore.
        self.field_validation = "Ignore"
        self.warnings: list[str] = []
        #: Serving an HTTP request (warnings reach a client) rather than a controller's write.
        self.active = False

    def warn(self, text: str) -> None:
        """Add a ``Warning`` header to the response (dropped outside a request)."""
        if self.active:
            self.warnings.append(text)
