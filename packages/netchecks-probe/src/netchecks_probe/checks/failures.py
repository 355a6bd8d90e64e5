"""Turn an exception from a network library into failure data with a fixed ``reason``.

Libraries wrap the operating system's error several layers deep (requests wraps
urllib3, which wraps ``OSError``), so :func:`reason_for` walks the whole chain
(``__cause__``, ``__context__``, urllib3's ``reason`` and exceptions passed as
arguments) and names the most specific cause it finds.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from typing import Any

from netchecks_core.reasons import REASONS

_ERRNO_REASONS: dict[int, str] = {
    errno.ECONNREFUSED: "connection-refused",
    errno.ECONNRESET: "connection-reset",
    errno.ECONNABORTED: "connection-reset",
    errno.EPIPE: "connection-reset",
    errno.EHOSTUNREACH: "host-unreachable",
    errno.ENETUNREACH: "host-unreachable",
    errno.EADDRNOTAVAIL: "source-ip-unavailable",
    errno.ETIMEDOUT: "timeout",
}


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps, outermost first, each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped: list[object] = [current.__cause__, current.__context__]
        wrapped.append(getattr(current, "reason", None))  # urllib3's MaxRetryError
        wrapped.extend(current.args)
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def os_error_reason(exc: BaseException) -> str | None:
    """The reason for one exception of the socket layer, or None if it is not one."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls-verify-failed"
    if isinstance(exc, ssl.SSLError):
        return "tls-error"
    if isinstance(exc, socket.gaierror):
        return "name-resolution-failed"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection-refused"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "connection-reset"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[exc.errno]
    return None


def reason_for(exc: BaseException, default: str = "error") -> str:
    """The most specific reason found anywhere in ``exc``'s chain."""
    for item in exception_chain(exc):
        reason = os_error_reason(item)
        if reason is not None:
            return reason
    return default


def failure(
    reason: str,
    exc: BaseException | None = None,
    *,
    message: str | None = None,
    exception_type: str | None = None,
) -> dict[str, Any]:
    """Failure data: ``reason`` plus ``exception-type``/``exception`` naming what went wrong.

    Without an exception, ``exception_type`` (default: the reason in CamelCase) and
    ``message`` describe it.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    data: dict[str, Any] = {"reason": reason}
    if exc is not None:
        data["exception-type"] = exception_type or type(exc).__name__
        data["exception"] = message if message is not None else (str(exc) or type(exc).__name__)
    elif message is not None:
        data["exception-type"] = exception_type or reason.title().replace("-", "")
        data["exception"] = message
    return data
