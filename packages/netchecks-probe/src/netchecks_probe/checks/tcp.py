"""The ``tcp`` check: open a connection to ``host:port``, optionally exchange a banner.

``data``: ``connected`` (bool) and ``error`` (null, or why it failed), as the old
probe had them. With ``send`` the text is sent once connected; with ``expect`` the
check reads until the server's reply contains that text (``data.banner`` holds what
arrived, at most :data:`MAX_BANNER_BYTES`). A reply without it sets ``error`` and
``reason: banner-mismatch`` while ``connected`` stays true, so the default rule
also requires ``error`` to be null (which it always is without ``expect``).

Connecting and reading are separate outcomes: a server that accepts the
connection but sends nothing within the timeout is ``connected: true`` with
``reason: banner-timeout`` (never reported as a refused or unreachable port, which
``expected: fail`` would count as blocked).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any

from netchecks_core.runnable import RunnableTcp

from netchecks_probe.checks.base import Deadline, NetworkClock, is_ip
from netchecks_probe.checks.bounded import call_within
from netchecks_probe.checks.failures import failure, reason_for

DEFAULT_RULE = "data.connected == true && data.error == null"
#: ``run`` bounds itself: in the calling thread when the host is an IP address, else in a
#: call thread (:func:`call_within`), as name resolution has no timeout of its own.
SELF_BOUNDED = True

MAX_BANNER_BYTES = 64 * 1024


@dataclass
class _Progress:
    """How far the worker got; read by the waiting thread when the worker overruns."""

    connected: bool = False
    received: bytearray = field(default_factory=bytearray)
    clock: NetworkClock = field(default_factory=NetworkClock)


def run(rule: RunnableTcp, deadline: Deadline) -> dict[str, Any]:
    """Connect (and talk) within the rule's timeout."""
    seconds = round(deadline.remaining(), 2)  # whole in messages: "after 5s"
    host = rule.host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # "[::1]" as in URLs
    progress = _Progress()
    until = time.monotonic() + seconds
    if is_ip(host):
        # Connecting, sending and reading each have the time left: bounded in this thread.
        return {**_connect(rule, host, until, seconds, progress), **progress.clock.stamps()}
    # Name resolution inside create_connection has no timeout of its own: bound it all.
    finished, data = call_within(
        lambda: _connect(rule, host, until, seconds, progress), seconds, deadline
    )
    if finished and data is not None:
        return {**data, **progress.clock.stamps()}
    progress.clock.stop()
    if progress.connected:
        data = {"connected": True, **_read_timeout(rule, bytes(progress.received), seconds)}
    else:
        message = f"Connection timed out after {seconds:g}s"
        data = {"connected": False, "error": message, **failure("timeout", message=message)}
    return {**data, **progress.clock.stamps()}


def _connect(
    rule: RunnableTcp, host: str, until: float, seconds: float, progress: _Progress
) -> dict[str, Any]:
    source = (rule.source_ip, 0) if rule.source_ip else None
    timeout = max(until - time.monotonic(), 0.001)
    progress.clock.start()
    try:
        sock = socket.create_connection((host, rule.port), timeout=timeout, source_address=source)
    except OSError as exc:
        progress.clock.stop()
        reason = reason_for(exc)
        error = _error_text(reason, rule, seconds, exc)
        return {"connected": False, "error": error, **failure(reason, exc)}
    progress.connected = True
    with sock:
        data: dict[str, Any] = {"connected": True, "error": None}
        if rule.send is not None or rule.expect is not None:
            data.update(_exchange(rule, sock, until, seconds, progress.received))
        progress.clock.stop()
        return data


def _error_text(reason: str, rule: RunnableTcp, timeout: float, exc: OSError) -> str:
    # The old probe's wording, which existing rules may match.
    if reason == "timeout":
        return f"Connection timed out after {timeout:g}s"
    if reason == "connection-refused":
        return f"Connection refused to {rule.host}:{rule.port}"
    return str(exc)


def _exchange(
    rule: RunnableTcp, sock: socket.socket, until: float, seconds: float, received: bytearray
) -> dict[str, Any]:
    """Send ``rule.send``, then read until ``rule.expect`` arrives (or time, EOF, size ends)."""
    try:
        if rule.send is not None:
            sock.settimeout(max(until - time.monotonic(), 0.001))
            sock.sendall(rule.send.encode())
        if rule.expect is None:
            return {}
        expected = rule.expect.encode()
        while expected not in received and len(received) < MAX_BANNER_BYTES:
            remaining = until - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(remaining)
            chunk = sock.recv(MAX_BANNER_BYTES - len(received))
            if not chunk:
                break
            received.extend(chunk)
    except OSError as exc:
        if reason_for(exc) == "timeout":
            return _read_timeout(rule, bytes(received), seconds)
        banner = received.decode("utf-8", "replace") if rule.expect is not None else None
        message = str(exc)
        reason = reason_for(exc)
        return {"banner": banner, "error": message, **failure(reason, exc, message=message)}
    banner = received.decode("utf-8", "replace")
    if expected in received:
        return {"banner": banner}
    message = _mismatch(rule.expect, banner)
    return {"banner": banner, "error": message, **failure("banner-mismatch", message=message)}


def _read_timeout(rule: RunnableTcp, received: bytes, seconds: float) -> dict[str, Any]:
    """Connected, but the exchange did not end in time: a silent server or a wrong banner."""
    banner = received.decode("utf-8", "replace") if rule.expect is not None else None
    if received and rule.expect is not None:
        message = _mismatch(rule.expect, banner)  # something came, but not what was expected
        return {"banner": banner, "error": message, **failure("banner-mismatch", message=message)}
    if rule.expect is None:
        message = f"connected, but could not send within {seconds:g}s"
    else:
        message = f"connected, but no reply containing {rule.expect!r} within {seconds:g}s"
    return {"banner": banner, "error": message, **failure("banner-timeout", message=message)}


def _mismatch(expect: str | None, banner: str | None) -> str:
    return f"expected {expect!r} in the server's reply, got {banner or ''!r}"
