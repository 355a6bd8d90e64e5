"""What the PostgreSQL checks share: connecting within a deadline, keeping the DSN's
secrets out of every message, turning driver errors into ``reason`` data, and
making values JSON-safe.

psycopg is imported here and in the two check modules only (the ``postgres`` extra).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

import psycopg
from netchecks_core.reasons import REASONS
from netchecks_core.runnable import REDACTED
from psycopg import conninfo

from netchecks_probe.checks.base import Deadline
from netchecks_probe.errors import CheckSetupError

#: SQLSTATE (or its two-character class) -> reason.
_SQLSTATE_REASONS: dict[str, str] = {
    "42501": "permission-denied",
    "25006": "read-only-violation",
    "57014": "timeout",  # query_canceled: what statement_timeout raises
    "3D000": "invalid-target",  # the database does not exist
    "28": "auth-failed",
    "08": "connection-reset",
    "57": "connection-reset",  # server shutting down or not accepting connections
}

#: Connection failures carry no SQLSTATE: libpq's (English) message is all there is.
_CONNECT_MESSAGE_REASONS: tuple[tuple[str, str], ...] = (
    ("password authentication failed", "auth-failed"),
    ("authentication failed", "auth-failed"),
    ("no password supplied", "auth-failed"),
    ("pg_hba.conf", "auth-failed"),
    ('role "', "auth-failed"),
    ('database "', "invalid-target"),
    ("timeout expired", "timeout"),
    ("connection refused", "connection-refused"),
    ("failed to resolve host", "name-resolution-failed"),
    ("could not translate host name", "name-resolution-failed"),
    ("no route to host", "host-unreachable"),
    ("network is unreachable", "host-unreachable"),
    ("server closed the connection", "connection-reset"),
    ("connection reset", "connection-reset"),
    ("certificate", "tls-error"),
    ("ssl", "tls-error"),
)

_MULTIPLE_STATEMENTS = "cannot insert multiple commands into a prepared statement"


def connect_timeout(deadline: Deadline) -> int:
    """Whole seconds for libpq (which waits at least 2 s whatever it is told)."""
    return max(1, math.ceil(deadline.remaining()))


def statement_timeout_ms(deadline: Deadline) -> int:
    """Milliseconds left, for ``statement_timeout`` (0 would mean none, so at least 1)."""
    return max(1, int(deadline.remaining() * 1000))


class Scrubber:
    """Removes a DSN, and the password inside it, from any text."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        secrets = {dsn, dsn.strip()}
        for password in _passwords(dsn):
            secrets.update({password, quote(password, safe=""), quote(password)})
        # Longest first, so that a password inside the DSN does not leave DSN pieces.
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def quoted_fragments(self, text: str) -> str:
        """Also hide every quoted fragment of the DSN (libpq quotes them when it cannot
        parse a DSN, and a password with a space would be cut in two)."""

        def hide(match: re.Match[str]) -> str:
            inner = match.group(2)
            secret = inner in self.dsn and any(c.isalnum() for c in inner)
            return f"{match.group(1)}{REDACTED}{match.group(1)}" if secret else match[0]

        return re.sub(r"([\"'])([^\"']+)\1", hide, self(text))


def _passwords(dsn: str) -> list[str]:
    found: list[str] = []
    try:
        parsed = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        parsed = {}
    if parsed.get("password"):
        found.append(str(parsed["password"]))
    # Also by pattern: the DSN may not parse, and then libpq may quote parts of it.
    for match in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn, re.IGNORECASE):
        value = match.group(1)
        found.extend([value, value.strip("'"), unquote(value)])  # unquote: URL query form
    for match in re.finditer(r"://[^/@:]*:([^/@]*)@", dsn):
        found.extend([match.group(1), unquote(match.group(1))])
    return [p for p in found if p]


class InvalidDsnError(CheckSetupError, psycopg.ProgrammingError):
    """The DSN, or a connection setting in it, cannot be used (raised before connecting)."""


def connect(dsn: str, deadline: Deadline) -> psycopg.Connection[tuple[Any, ...]]:
    """Open a connection (not in autocommit: every statement runs in a transaction)."""
    extra: dict[str, Any] = {"connect_timeout": connect_timeout(deadline)}
    try:
        if "application_name" not in conninfo.conninfo_to_dict(dsn):
            extra["application_name"] = "netchecks"
        return psycopg.connect(dsn, **extra)
    except psycopg.ProgrammingError as error:
        raise InvalidDsnError(str(error)) from None


def set_statement_timeout(cursor: psycopg.Cursor[Any], deadline: Deadline) -> None:
    """Bound the next statements of this transaction by what is left of the deadline."""
    cursor.execute(
        "select set_config('statement_timeout', %s, true)", [str(statement_timeout_ms(deadline))]
    )


def error_data(error: BaseException, scrub: Scrubber) -> dict[str, Any]:
    """``success: false`` data for a driver error: reason, sqlstate, exception (scrubbed)."""
    sqlstate = getattr(error, "sqlstate", None)
    message = str(error).strip() or type(error).__name__
    reason = _reason(error, sqlstate, message)
    if reason == "multiple-statements":
        message = f"the query must be exactly one SQL statement ({message})"
    if isinstance(error, InvalidDsnError):
        message = f"invalid DSN or connection setting: {scrub.quoted_fragments(message)}"
    return failure(reason, type(error).__name__, scrub(message), sqlstate)


def timeout_data(what: str) -> dict[str, Any]:
    """``success: false`` data when the deadline passed before ``what`` could start."""
    return failure("timeout", "TimeoutError", f"the timeout expired before {what}")


def failure(
    reason: str, exception_type: str, message: str, sqlstate: str | None = None
) -> dict[str, Any]:
    """The ``data`` of a check that could not do what it was asked."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return {
        "success": False,
        "reason": reason,
        "sqlstate": sqlstate,
        "exception-type": exception_type,
        "exception": message,
    }


def _reason(error: BaseException, sqlstate: str | None, message: str) -> str:
    if sqlstate == "42601" and _MULTIPLE_STATEMENTS in message:
        return "multiple-statements"
    if sqlstate:
        for key in (sqlstate, sqlstate[:2]):
            if key in _SQLSTATE_REASONS:
                return _SQLSTATE_REASONS[key]
        return "query-error"
    if isinstance(error, psycopg.errors.ConnectionTimeout):
        return "timeout"
    if isinstance(error, InvalidDsnError):
        return "invalid-target"
    if isinstance(error, psycopg.ProgrammingError):
        return "query-error"  # e.g. parameters that do not match the placeholders
    if isinstance(error, psycopg.OperationalError):
        lowered = message.lower()
        for needle, reason in _CONNECT_MESSAGE_REASONS:
            if needle in lowered:
                return reason
    return "error"


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it: ISO dates and times, decimals, UUIDs, addresses and
    ranges as text, bytes as hex, intervals as CEL durations (``"90.5s"``)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    # Decimals, UUIDs, network addresses, ranges, enums...: their text form.
    return str(value)


def jsonable_rows(columns: list[str], rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as maps of column name to JSON-safe value."""
    return [{name: jsonable(item) for name, item in zip(columns, row, strict=True)} for row in rows]
