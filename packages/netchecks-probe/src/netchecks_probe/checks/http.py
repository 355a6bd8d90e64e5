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
import os
import socket
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
from netchecks_core.rules import HttpRule

from netchecks_probe.checks import tls
from netchecks_probe.checks.base import Deadline, NetworkClock, is_ip
from netchecks_probe.checks.bounded import call_within
from netchecks_probe.checks.failures import failure, reason_for

DEFAULT_RULE = "data['status-code'] in [200, 201]"
#: ``run`` bounds itself (:func:`call_within`).
SELF_BOUNDED = True
#: Fields the result's ``spec`` always has: ``headers`` even when the rule sets none, so
#: it reads ``"REDACTED"`` as 0.10 wrote it (its users' tests check that).
ECHO_ALWAYS: dict[str, Any] = {"headers": {}}

USER_AGENT = "netchecks"
#: As many as requests (and so the old probe) follows.
MAX_REDIRECTS = 30
_CHUNK = 64 * 1024


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
        return opened


class _TimedConnection(_ClockOnConnect, urllib3.connection.HTTPConnection):
    pass


class _TimedHTTPSConnection(_ClockOnConnect, urllib3.connection.HTTPSConnection):
    pass


class _TimedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TimedConnection


class _TimedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TimedHTTPSConnection


_TIMED_POOLS = {"http": _TimedHTTPPool, "https": _TimedHTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    """Times from the first connection and binds it to ``source-ip`` when the rule gives one."""

    def __init__(self, source_ip: str | None) -> None:
        self._source_address = (source_ip, 0) if source_ip else None
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._source_address is not None:
            kwargs["source_address"] = self._source_address
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _TIMED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # not SOCKS, which has its own pools
            manager.pool_classes_by_scheme = _TIMED_POOLS
        return manager


#: What requests reads from the environment for an http(s) request: proxies (urllib's
#: ``getproxies``, ignored under CGI's ``REQUEST_METHOD``) and the CA bundle.
_ENVIRONMENT_KEYS = (
    *(f"{name}_proxy" for name in ("http", "https", "all", "no")),
    *(f"{name}_PROXY" for name in ("HTTP", "HTTPS", "ALL", "NO")),
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
_SETTINGS: dict[tuple[Any, ...], dict[str, Any]] = {}
_SETTINGS_LOCK = threading.Lock()
#: Distinct (origin, options, environment) settings kept; the cache starts over beyond.
_MAX_SETTINGS = 1024


class _Session(requests.Session):
    """A session that reads the environment's proxy settings once per origin.

    requests scans every environment variable for each request (a Pod has one per
    Service of its namespace). The result depends only on the URL's scheme and host
    and on the variables in :data:`_ENVIRONMENT_KEYS`, which are part of the key.
    """

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies or not self.trust_env or self.proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        environment = tuple(os.environ.get(key) for key in _ENVIRONMENT_KEYS)
        key = (urlsplit(str(url))[:2], stream, verify, cert, environment)
        with _SETTINGS_LOCK:
            cached = _SETTINGS.get(key)
        if cached is None:
            cached = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            with _SETTINGS_LOCK:
                if len(_SETTINGS) >= _MAX_SETTINGS:
                    _SETTINGS.clear()
                _SETTINGS[key] = cached
        return {**cached, "proxies": dict(cached["proxies"])}


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


def run(rule: HttpRule, deadline: Deadline) -> dict[str, Any]:
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


def _exchange(rule: HttpRule, exchange: _Exchange, until: float) -> None:
    """The request, run in a worker thread; records everything in ``exchange``."""
    session = _Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = _Adapter(rule.source_ip)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    verify: bool | str = rule.verify_tls_cert and (rule.ca_bundle or True)
    if not verify:
        # The rule asks not to verify; urllib3 would warn on every request.
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    cert: str | tuple[str, str] | None = rule.client_cert
    if rule.client_cert and rule.client_key:
        cert = (rule.client_cert, rule.client_key)
    exchange.clock.start()
    _CURRENT.clock = exchange.clock
    try:
        with session:
            _request(rule, exchange, session, until, verify=verify, cert=cert)
    finally:
        _CURRENT.clock = None


def _request(
    rule: HttpRule,
    exchange: _Exchange,
    session: requests.Session,
    until: float,
    *,
    verify: bool | str,
    cert: str | tuple[str, str] | None,
) -> None:
    headers = {"User-Agent": USER_AGENT, **(rule.headers or {})}
    remaining = max(until - time.monotonic(), 0.001)
    try:
        response = session.request(
            rule.method.upper(),
            rule.url,
            headers=headers,
            data=rule.body.encode() if rule.body is not None else None,
            timeout=(remaining, remaining),
            allow_redirects=rule.follow_redirects,
            verify=verify,
            cert=cert,
            stream=True,
        )
    except (requests.RequestException, OSError, ValueError) as exc:
        exchange.clock.stop()
        _record_failure(rule, exchange, exc, until)
        return
    with response:
        _record_response(rule, exchange, response, verified=bool(verify))
        _read_body(rule, exchange, response, until)
        exchange.clock.stop()


def _record_failure(rule: HttpRule, exchange: _Exchange, exc: Exception, until: float) -> None:
    reason = _reason(exc)
    exchange.update(**failure(reason, exc))
    if reason in ("tls-verify-failed", "tls-error"):
        request = getattr(exc, "request", None)
        url = getattr(request, "url", None) or rule.url
        facts = _handshake(rule, url, until)
        if facts is not None:
            if reason == "tls-verify-failed":
                facts["verify-error"] = str(exc)
            exchange.update(tls=facts)


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.TooManyRedirects):
        return "too-many-redirects"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.InvalidHeader
        | ValueError,
    ):
        return "invalid-target"
    if isinstance(exc, OSError) and not isinstance(exc, requests.RequestException):
        # Raised before any connection: the CA bundle or client certificate is unreadable.
        return "tls-config-invalid"
    reason = reason_for(exc)
    if reason == "error" and isinstance(exc, requests.exceptions.SSLError):
        return "tls-error"
    if reason == "error" and isinstance(exc, requests.ConnectionError):
        # e.g. the server closed the connection without answering.
        return "connection-reset"
    return reason


def _handshake(rule: HttpRule, url: str, until: float) -> dict[str, Any] | None:
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
    rule: HttpRule, exchange: _Exchange, response: requests.Response, *, verified: bool
) -> None:
    fields: dict[str, Any] = {
        "status-code": response.status_code,
        "headers": dict(response.headers),
        "url": response.url,
        "redirects": [{"status-code": r.status_code, "url": r.url} for r in response.history],
        "body-truncated": False,
    }
    if urlsplit(response.url).scheme == "https":
        fields["tls"] = _response_tls(rule, response, verified=verified)
    if response.status_code >= 400:
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            fields.update(failure("http-status", exc))
    with exchange.lock:
        exchange.data.update(fields)
        exchange.encoding = _encoding(response)


def _response_tls(rule: HttpRule, response: requests.Response, *, verified: bool) -> dict[str, Any]:
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None and hasattr(sock, "getpeercert"):
        return tls.connection_facts(sock, verified=verified)
    # Behind a proxy the TLS socket is not ours to look at; ask the server directly.
    facts = _handshake(rule, response.url, time.monotonic() + 2.0) or {}
    facts["verified"] = verified
    return facts


def _encoding(response: requests.Response) -> str:
    # Without a charset, requests would guess (slowly, from the bytes): assume UTF-8.
    if "charset" not in response.headers.get("content-type", "").lower():
        return "utf-8"
    try:
        return codecs.lookup(response.encoding or "utf-8").name
    except LookupError:
        return "utf-8"


def _read_body(
    rule: HttpRule, exchange: _Exchange, response: requests.Response, until: float
) -> None:
    """Stream the body into ``exchange`` up to the size cap and the time bound."""
    limit = rule.max_body_bytes
    raw = response.raw
    try:
        while True:
            if time.monotonic() >= until:
                exchange.update(
                    **failure("timeout", message="the body did not arrive within the timeout")
                )
                return
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return
            with exchange.lock:
                if exchange.abandoned:
                    return
                room = limit - len(exchange.body)
                exchange.body += chunk[: max(room, 0)]
                if len(chunk) > room:
                    exchange.data["body-truncated"] = True
                    return
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        exchange.update(**failure(_reason(exc), exc))
