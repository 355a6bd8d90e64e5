"""Service logs: one JSON object per line, with the Kubernetes object being worked on.

Every line carries ``namespace`` and ``name`` (null when the line is about no
object). Set them for a block of work with :func:`object_context`; the logger's
own name is under ``logger``::

    configure_logging("INFO")
    with object_context("payments", "db-reachable"):
        log.info("created %s", "cronjob/db-reachable-netchecks")
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_object: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "netchecks_object", default=(None, None)
)


@contextlib.contextmanager
def object_context(namespace: str | None, name: str | None) -> Iterator[None]:
    """Tag every log line of this block (this thread) with the object's namespace and name."""
    token = _object.set((namespace, name))
    try:
        yield
    finally:
        _object.reset(token)


class ServiceJsonFormatter(JsonFormatter):
    """JSON lines: time, level, logger, message, namespace, name (+ exception, extras)."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """Add the standard fields and the object identity."""
        super().add_fields(log_data, record, message_dict)
        namespace, name = _object.get()
        log_data["time"] = self.formatTime(record, self.datefmt)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data.setdefault("namespace", getattr(record, "k8s_namespace", namespace))
        log_data["name"] = getattr(record, "k8s_name", name)
        log_data.pop("k8s_namespace", None)
        log_data.pop("k8s_name", None)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        namespace, name = _object.get()
        where = f" [{namespace}/{name}]" if name else ""
        return f"{super().format(record)}{where}"


def configure_logging(level: str = "INFO", json_format: bool = True) -> None:
    """Send the root logger's records to stderr as JSON lines (or text for people)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_format:
        handler.setFormatter(ServiceJsonFormatter("%(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z"))
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Chatty libraries: their debug lines are not about our objects.
    for noisy in ("urllib3", "kubernetes", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
