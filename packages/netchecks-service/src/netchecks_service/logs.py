"""Service logs: one JSON object per line, with the Kubernetes object being worked on.

Every line has the same keys in every service (:data:`KEYS`, plus ``exc_info`` with a
traceback): ``time`` (RFC 3339, UTC, milliseconds), ``level``, ``logger``,
``message``, and ``namespace`` and ``name`` of the object (null when the line is about
no object). Terminal escapes are taken out of every field (uvicorn colours its own
``color_message``, which is dropped); warnings and uncaught thread errors are logged
as events too, so nothing else reaches stderr. Set the object for a block of work with
:func:`object_context`::

    configure_logging("INFO")
    with object_context("payments", "db-reachable"):
        log.info("created %s", "cronjob/db-reachable-netchecks")
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
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


#: The keys of every JSON log line (``exc_info`` is added when there is a traceback).
KEYS = ("time", "level", "logger", "message", "namespace", "name")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


def rfc3339_millis(created: float) -> str:
    """A record's time as RFC 3339 in UTC with milliseconds (``2025-06-01T12:00:00.123Z``)."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _clean(text: Any) -> Any:
    return _ANSI.sub("", text) if isinstance(text, str) else text


class ServiceJsonFormatter(JsonFormatter):
    """JSON lines with :data:`KEYS` (+ ``exc_info``); extras of other libraries are dropped."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """Set the fixed fields, the object identity and the traceback, without escapes."""
        namespace, name = _object.get()
        log_data["time"] = rfc3339_millis(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = _clean(record.getMessage())
        log_data["namespace"] = _clean(getattr(record, "k8s_namespace", namespace))
        log_data["name"] = _clean(getattr(record, "k8s_name", name))
        for key in ("exc_info", "stack_info"):
            if message_dict.get(key):
                log_data[key] = _clean(message_dict[key])


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        namespace, name = _object.get()
        where = f" [{namespace}/{name}]" if name else ""
        return f"{super().format(record)}{where}"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is when a record comes, not as it was when set up.

    A thread still logging after whoever replaced ``sys.stderr`` (a test's capture) has
    closed that stream would otherwise fail with "I/O operation on closed file".
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def configure_logging(level: str = "INFO", json_format: bool = True) -> None:
    """Send the root logger's records to stderr as JSON lines (or text for people)."""
    handler = StderrHandler()
    if json_format:
        handler.setFormatter(ServiceJsonFormatter("%(message)s"))
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
    # Warnings and errors of threads become events instead of raw text on stderr.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_error


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    thread = args.thread.name if args.thread is not None else "a thread"
    logging.getLogger("netchecks_service").critical(
        "uncaught error in %s", thread, exc_info=args.exc_value
    )
