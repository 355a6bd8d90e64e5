"""The ``http`` check: send one request and describe the response.

``data``: ``status-code``, ``headers`` (of the response), ``body`` (text, at most
``max-body-bytes``; ``body-truncated`` says whether more was sent), ``url`` (after
redirects), ``redirects`` (each hop's ``status-code`` and ``url``) and, for
https, ``tls`` (see :mod:`netchecks_probe.checks.tls`), reported even when the
certificate fails verification. A 4xx/5xx answer sets ``reason: http-status``
besides the status code; a request that got no answer has no ``status-code``.

The whole exchange, body included, is bounded by the rule's timeout: a server
that drips its body slowly gives what arrived in time and ``reason: timeout``.
"""

from __future__ import annotations

import codecs
import socket
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
from netchecks_core.runnable import RunnableHttp

from netchecks_probe.checks import arrival, http_client, tls
from netchecks_probe.checks.base import Deadline, NetworkClock, is_ip
from netchecks_probe.checks.bounded import call_within
from netchecks_probe.checks.failures import failure, reason_for
from netchecks_probe.checks.http_client import ExchangeError

DEFAULT_RULE = "data['status-code'] in [200, 201]"
#: ``run`` bounds itself (:func:`call_within`).
SELF_BOUNDED = True
#: Fields the result's ``spec`` always has: ``headers`` even when the rule sets none, so
#: it reads ``"REDACTED"`` as 0.10 wrote it (its users' tests check that).
ECHO_ALWAYS: dict[str, Any] = {"headers": {}}

USER_AGENT = "netchecks"
MAX_REDIRECTS = http_client.MAX_REDIRECTS
_CHUNK = 64 * 1024
_INVALID_TARGET = frozenset({"InvalidURL", "MissingSchema", "InvalidSchema", "InvalidHeader"})


#: The clock of the exchange this thread is running (each exchange has its own thread).
_CURRENT = threading.local()


class _ClockOnConnect:
    """Restarts the exchange's clock as it opens a socket (see :meth:`NetworkClock.connecting`)."""

    def _new_conn(self) -> socket.socket:
        clock: NetworkClock | None = getattr(_CURRENT, "clock", None)
        if clock is not None:
            clock.connecting()
        new_conn = super()._new_conn  # type: ignore[misc]  # the urllib3 connection's (MRO)
        opened: socket.socket = new_conn()
        if clock is not None and not isinstance(self, urllib3.connection.HTTPSConnection):
            # Plain TCP: the kernel's stamps. (TLS would handshake before the first send
            # the clock hears of; it keeps the thread's own clock.)
            clock.connected(arrival.handshake_seconds(opened))
            opened = arrival.timestamped(opened, clock)
        return opened

    def __str__(self) -> str:
        # Failure messages name the connection: urllib3's class, not this timing mixin.
        base = next(c for c in type(self).__mro__ if c.__module__.startswith("urllib3"))
        host, port = getattr(self, "host", None), getattr(self, "port", None)
        return f"{base.__name__}(host={host!r}, port={port!r})"


class _TimedConnection(_ClockOnConnect, urllib3.connection.HTTPConnection):
    pass


class _TimedHTTPSConnection(_ClockOnConnect, urllib3.connection.HTTPSConnection):
    pass


class _TimedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TimedConnection


class _TimedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TimedHTTPSConnection


_TIMED_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": _TimedHTTPPool,
    "https": _TimedHTTPSPool,
}


@dataclass
class _Exchange:
    """What the request has produced so far; read by the waiting thread at the deadline."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    data: dict[str, Any] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    encoding: str = "utf-8"
    abandoned: bool = False
    clock: NetworkClock = field(default_factory=NetworkClock)

    def update(self, **fields: Any) -> None:
        with self.lock:
            self.data.update(fields)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            data = dict(self.data)
            if "status-code" in data:
                data["body"] = self.body.decode(self.encoding, "replace")
            return data


def run(rule: RunnableHttp, deadline: Deadline) -> dict[str, Any]:
    """Send the request of ``rule`` and describe what came back."""
    unusable = tls.unusable_tls_files(rule.ca_bundle, rule.client_cert, rule.client_key)
    if unusable is not None:
        return failure("tls-config-invalid", message=unusable, exception_type="TlsConfigInvalid")
    seconds = round(deadline.remaining(), 2)  # whole in messages: "after 5s"
    exchange = _Exchange()
    finished, _ = call_within(
        lambda: _exchange(rule, exchange, time.monotonic() + seconds), seconds, deadline
    )
    if finished:
        return {**exchange.snapshot(), **exchange.clock.stamps()}
    exchange.clock.stop()
    with exchange.lock:
        exchange.abandoned = True
    data = exchange.snapshot()
    data.update(failure("timeout", message=f"no complete response within {seconds:g}s"))
    return {**data, **exchange.clock.stamps()}


def _exchange(rule: RunnableHttp, exchange: _Exchange, until: float) -> None:
    """The request, run in a worker thread; records everything in ``exchange``."""
    verify: bool | str = rule.verify_tls_cert and (rule.ca_bundle or True)
    if not verify:
        # The rule asks not to verify; urllib3 would warn on every request.
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    request = http_client.Request(
        method=rule.method,
        url=rule.url,
        headers={"User-Agent": USER_AGENT, **(rule.headers or {})},
        body=rule.body.encode() if rule.body is not None else None,
        follow_redirects=rule.follow_redirects,
        verify=verify,
        client_cert=rule.client_cert,
        client_key=rule.client_key,
        source_ip=rule.source_ip,
        pools=_TIMED_POOLS,
    )
    exchange.clock.start()
    _CURRENT.clock = exchange.clock
    try:
        sent = http_client.send(request, max(until - time.monotonic(), 0.001))
    except ExchangeError as exc:
        exchange.clock.stop()
        _record_failure(rule, exchange, exc, until)
        return
    finally:
        _CURRENT.clock = None
    with sent.response:
        _record_response(rule, exchange, sent, verified=bool(verify))
        if _read_body(exchange, sent.response, rule.max_body_bytes, until):
            exchange.clock.finish()
        else:
            exchange.clock.stop()


def _record_failure(
    rule: RunnableHttp, exchange: _Exchange, exc: ExchangeError, until: float
) -> None:
    reason = _reason(exc)
    exchange.update(**failure(reason, exc, exception_type=exc.name))
    if reason in ("tls-verify-failed", "tls-error"):
        facts = _handshake(rule, exc.url, until)
        if facts is not None:
            if reason == "tls-verify-failed":
                facts["verify-error"] = str(exc)
            exchange.update(tls=facts)


def _reason(exc: ExchangeError) -> str:
    if exc.name == "TooManyRedirects":
        return "too-many-redirects"
    if exc.name in ("ConnectTimeout", "ReadTimeout"):
        return "timeout"
    if exc.name in _INVALID_TARGET:
        return "invalid-target"
    if exc.name == "OSError":
        # Raised before any connection: the CA bundle is missing.
        return "tls-config-invalid"
    reason = reason_for(exc)
    if reason == "error" and exc.name == "SSLError":
        return "tls-error"
    if reason == "error":
        # e.g. the server closed the connection without answering.
        return "connection-reset"
    return reason


def _handshake(rule: RunnableHttp, url: str, until: float) -> dict[str, Any] | None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    host = parts.hostname
    server_name = None if is_ip(host) else host
    return tls.handshake_facts(
        host,
        parts.port or 443,
        timeout=max(until - time.monotonic(), 0.001),
        server_name=server_name,
        source_ip=rule.source_ip,
        client_cert=rule.client_cert,
        client_key=rule.client_key,
    )


def _record_response(
    rule: RunnableHttp, exchange: _Exchange, sent: http_client.Exchange, *, verified: bool
) -> None:
    response = sent.response
    fields: dict[str, Any] = {
        "status-code": response.status,
        "headers": dict(response.headers),
        "url": sent.url,
        "redirects": [{"status-code": hop.status, "url": hop.url} for hop in sent.history],
        "body-truncated": False,
    }
    if urlsplit(sent.url).scheme == "https":
        fields["tls"] = _response_tls(rule, sent, verified=verified)
    if 400 <= response.status < 600:
        kind = "Client" if response.status < 500 else "Server"
        message = f"{response.status} {kind} Error: {response.reason} for url: {sent.url}"
        fields.update(failure("http-status", message=message, exception_type="HTTPError"))
    with exchange.lock:
        exchange.data.update(fields)
        exchange.encoding = _encoding(response.headers.get("content-type", ""))


def _response_tls(
    rule: RunnableHttp, sent: http_client.Exchange, *, verified: bool
) -> dict[str, Any]:
    connection = getattr(sent.response, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None and hasattr(sock, "getpeercert"):
        return tls.connection_facts(sock, verified=verified)
    # Behind a proxy the TLS socket is not ours to look at; ask the server directly.
    facts = _handshake(rule, sent.url, time.monotonic() + 2.0) or {}
    facts["verified"] = verified
    return facts


def _encoding(content_type: str) -> str:
    """The body's charset; without one, UTF-8 (requests would guess, slowly, from the bytes)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip("'\"")).name
            except LookupError:
                return "utf-8"
    return "utf-8"


def _read_body(
    exchange: _Exchange, response: urllib3.BaseHTTPResponse, limit: int, until: float
) -> bool:
    """Stream the body into ``exchange`` up to the size cap and the time bound.

    Returns whether the exchange completed (all of the body, or as much as is kept).
    """
    try:
        while True:
            if time.monotonic() >= until:
                exchange.update(
                    **failure("timeout", message="the body did not arrive within the timeout")
                )
                return False
            chunk = response.read1(_CHUNK, decode_content=True)
            if not chunk:
                return True
            with exchange.lock:
                if exchange.abandoned:
                    return False
                room = limit - len(exchange.body)
                exchange.body += chunk[: max(room, 0)]
                if len(chunk) > room:
                    exchange.data["body-truncated"] = True
                    return True
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        exchange.update(**failure(reason_for(exc), exc))
        return False
