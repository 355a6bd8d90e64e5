"""One HTTP exchange as the old probe's client (requests) made it, on urllib3's pools.

requests spends about a millisecond of CPU preparing each request (a session, its
adapters, hooks and a pool manager); the probe sends one request per rule and reuses
nothing, so it sends each hop on a one-connection urllib3 pool of its own and keeps
what users of the old probe see:

- the default headers (``Accept: */*``, ``Accept-Encoding``, ``Connection``), merged
  with the rule's without regard to case, and requests' checks of header values;
- Basic credentials from netrc or from the URL; a rule's own ``Authorization`` header
  wins over both;
- the environment's proxies (:mod:`netchecks_probe.checks.http_env`);
- redirects: up to :data:`MAX_REDIRECTS`, POST (and any method after 302/303) becoming
  GET, ``Authorization`` dropped when the host changes, cookies set along the way sent on;
- the names requests gave failures (``ConnectionError``, ``ConnectTimeout``,
  ``ReadTimeout``, ``SSLError``, ``TooManyRedirects``, ``MissingSchema`` ...), which
  results report as ``exception-type``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import urllib3
import urllib3.connection
import urllib3.exceptions
from urllib3.poolmanager import pool_classes_by_scheme
from urllib3.util import Timeout, make_headers, parse_url

from netchecks_probe.checks import http_env

#: As many as requests (and so the old probe) follows.
MAX_REDIRECTS = 30
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
DEFAULT_HEADERS = {
    "Accept-Encoding": ", ".join(
        re.split(r",\s*", make_headers(accept_encoding=True)["accept-encoding"])
    ),
    "Accept": "*/*",
    "Connection": "keep-alive",
}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HEADER_NAME = re.compile(r"^[^:\s][^:\r\n]*$")
_HEADER_VALUE = re.compile(r"^\S[^\r\n]*$|^$")
#: Characters left as they are when a redirect's location is quoted (as requests does).
_SAFE_IN_URL = "!#$%&'()*+,/:;=?@[]~"


class ExchangeError(Exception):
    """The exchange failed; ``name`` is what requests called the failure, ``url`` the hop's."""

    def __init__(self, name: str, message: str, url: str, cause: BaseException | None = None):
        super().__init__(message)
        self.name = name
        self.url = url
        self.cause = cause


@dataclass(frozen=True)
class Request:
    """What to send, and how."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    follow_redirects: bool = True
    #: True (verify with the default CAs), False, or a CA bundle file or directory.
    verify: bool | str = True
    client_cert: str | None = None
    client_key: str | None = None
    source_ip: str | None = None
    pools: dict[str, type[urllib3.HTTPConnectionPool]] = field(default_factory=dict)

    @property
    def own_authorization(self) -> bool:
        """Whether the rule sets ``Authorization`` itself (then no other credentials apply)."""
        return any(name.lower() == "authorization" for name in self.headers)


@dataclass(frozen=True)
class Hop:
    """A redirect on the way: its status code and the URL that answered with it."""

    status: int
    url: str


@dataclass
class Exchange:
    """The final response, the URL that gave it and the redirects before it."""

    response: urllib3.BaseHTTPResponse
    url: str
    history: list[Hop]


def send(request: Request, timeout: float) -> Exchange:
    """Send ``request`` (following redirects if it says so); raises :class:`ExchangeError`.

    ``timeout`` bounds each connect and each read, as requests' did.
    """
    method = request.method.upper()
    url = prepare_url(request.url)
    headers = _headers(request, url)
    body = request.body
    history: list[Hop] = []
    jar: Any = None  # an http.cookiejar.CookieJar, once a hop sets a cookie
    while True:
        response = _send_once(request, method, url, headers, body, timeout)
        location = _redirect_location(response) if request.follow_redirects else None
        if location is None:
            return Exchange(response, url, history)
        if len(history) >= MAX_REDIRECTS:
            response.close()
            raise ExchangeError("TooManyRedirects", f"Exceeded {MAX_REDIRECTS} redirects.", url)
        history.append(Hop(response.status, url))
        if response.headers.get("set-cookie") is not None:
            jar = _store_cookies(jar, url, response)
        response.close()
        target = prepare_url(_resolve(url, location))
        method, body, headers = _rebind(response.status, method, body, headers)
        headers = _carry_credentials(request, url, target, headers)
        headers.discard("Cookie")
        if jar is not None:
            _add_cookies(jar, target, headers)
        url = target


def prepare_url(url: str) -> str:
    """``url`` checked as requests checked it: a scheme, a host, and http or https."""
    url = url.strip()
    if ":" in url and not url.lower().startswith("http"):
        raise ExchangeError("InvalidSchema", f"No connection adapters were found for {url!r}", url)
    try:
        parts = parse_url(url)
    except urllib3.exceptions.LocationParseError as error:
        raise ExchangeError("InvalidURL", str(error), url, error) from error
    if not parts.scheme:
        message = f"Invalid URL {url!r}: No scheme supplied. Perhaps you meant https://{url}?"
        raise ExchangeError("MissingSchema", message, url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise ExchangeError("InvalidSchema", f"No connection adapters were found for {url!r}", url)
    if not parts.host:
        raise ExchangeError("InvalidURL", f"Invalid URL {url!r}: No host supplied", url)
    if parts.host.startswith(("*", ".")):
        raise ExchangeError("InvalidURL", "URL has an invalid label.", url)
    return url


def _headers(request: Request, url: str) -> urllib3.HTTPHeaderDict:
    headers = urllib3.HTTPHeaderDict(DEFAULT_HEADERS)
    for name, value in request.headers.items():
        if not _HEADER_NAME.match(name) or not _HEADER_VALUE.match(value):
            raise ExchangeError(
                "InvalidHeader",
                "Invalid leading whitespace, reserved character(s), or return character(s) "
                f"in header {'name' if not _HEADER_NAME.match(name) else 'value'}: {name!r}",
                url,
            )
        headers[name] = value
    if request.body is not None:
        headers["Content-Length"] = str(len(request.body))
    elif request.method.upper() not in ("GET", "HEAD") and "Content-Length" not in headers:
        headers["Content-Length"] = "0"
    if not request.own_authorization:
        _set_basic_auth(headers, _credentials(url))
    return headers


def _credentials(url: str) -> tuple[str, str] | None:
    """netrc's credentials for the URL's host, else the URL's own (requests' order)."""
    parts = urlsplit(url)
    if parts.hostname:
        from_netrc = http_env.netrc_credentials(parts.hostname)
        if from_netrc is not None:
            return from_netrc
    if parts.username is not None and parts.password is not None:
        return unquote(parts.username), unquote(parts.password)
    return None


def _set_basic_auth(
    headers: urllib3.HTTPHeaderDict,
    credentials: tuple[str, str] | None,
    header: str = "Authorization",
) -> None:
    if credentials is None:
        return
    user, password = (part.encode("latin-1", "replace") for part in credentials)
    headers[header] = "Basic " + base64.b64encode(user + b":" + password).decode()


def _send_once(
    request: Request,
    method: str,
    url: str,
    headers: urllib3.HTTPHeaderDict,
    body: bytes | None,
    timeout: float,
) -> urllib3.BaseHTTPResponse:
    """One hop, on a pool of its own (closed with the response's connection)."""
    try:
        pool, target = _pool(request, url, timeout)
        return pool.urlopen(
            method,
            target,
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            decode_content=True,
        )
    except urllib3.exceptions.HTTPError as error:
        raise _named(error, url) from error
    except OSError as error:
        raise ExchangeError("ConnectionError", str(error), url, error) from error


def _pool(request: Request, url: str, timeout: float) -> tuple[urllib3.HTTPConnectionPool, str]:
    """A one-connection pool for the hop, and the target to ask it for."""
    parts = parse_url(url)
    scheme, host = str(parts.scheme), str(parts.host)
    settings: dict[str, Any] = {"maxsize": 1, "timeout": Timeout(timeout, timeout)}
    if request.source_ip:
        settings["source_address"] = (request.source_ip, 0)
    if scheme == "https":
        settings.update(_tls_settings(request, url))
    proxy = http_env.proxy_for(scheme, host, parts.port)
    if proxy is None:
        pool_class = request.pools.get(scheme) or pool_classes_by_scheme[scheme]
        return pool_class(host, parts.port, **settings), parts.request_uri
    # Through a proxy, plain http asks it for the whole URL; https tunnels (CONNECT).
    target = url if scheme == "http" else parts.request_uri
    return _proxied_pool(request, proxy, url, settings), target


def _proxied_pool(
    request: Request, proxy: str, url: str, settings: dict[str, Any]
) -> urllib3.HTTPConnectionPool:
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    parts = urlsplit(proxy)
    if parts.scheme.lower().startswith("socks"):
        raise ExchangeError("InvalidSchema", "Missing dependencies for SOCKS support.", url)
    proxy_headers = urllib3.HTTPHeaderDict()
    if parts.username:
        credentials = (unquote(parts.username), unquote(parts.password or ""))
        _set_basic_auth(proxy_headers, credentials, "Proxy-Authorization")
    try:
        manager = urllib3.ProxyManager(proxy, num_pools=1, proxy_headers=proxy_headers, **settings)
    except urllib3.exceptions.ProxySchemeUnknown as error:
        raise ExchangeError("InvalidSchema", str(error), url, error) from error
    if request.pools:
        manager.pool_classes_by_scheme = request.pools
    return manager.connection_from_url(url)


def _tls_settings(request: Request, url: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if request.verify is False:
        settings["cert_reqs"] = "CERT_NONE"
    else:
        bundle = request.verify if isinstance(request.verify, str) else http_env.default_ca_bundle()
        if not Path(bundle).exists():
            message = f"Could not find a suitable TLS CA certificate bundle, invalid path: {bundle}"
            raise ExchangeError("OSError", message, url)
        settings["cert_reqs"] = "CERT_REQUIRED"
        settings["ca_cert_dir" if Path(bundle).is_dir() else "ca_certs"] = bundle
    if request.client_cert:
        settings["cert_file"] = request.client_cert
        settings["key_file"] = request.client_key
    return settings


def _named(error: urllib3.exceptions.HTTPError, url: str) -> ExchangeError:
    """The failure as requests named it (its ``HTTPAdapter.send``)."""
    exceptions = urllib3.exceptions
    if isinstance(error, exceptions.ProxyError):
        name = "ProxyError"
    elif isinstance(error, exceptions.SSLError):
        name = "SSLError"
    elif isinstance(error, exceptions.ConnectTimeoutError) and not isinstance(
        error, exceptions.NewConnectionError
    ):
        name = "ConnectTimeout"
    elif isinstance(error, exceptions.ReadTimeoutError):
        name = "ReadTimeout"
    elif isinstance(error, exceptions.LocationValueError):
        name = "InvalidURL"
    elif isinstance(error, exceptions.InvalidHeader):
        name = "InvalidHeader"
    else:
        name = "ConnectionError"
    return ExchangeError(name, str(error), url, error)


def _redirect_location(response: urllib3.BaseHTTPResponse) -> str | None:
    location = response.headers.get("location")
    if response.status not in REDIRECT_CODES or location is None:
        return None
    try:  # sent as Latin-1 by http.client; servers mean UTF-8
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location


def _resolve(current: str, location: str) -> str:
    """The absolute URL ``location`` points to from ``current``, with its fragment kept."""
    if location.startswith("//"):
        location = f"{urlsplit(current).scheme}:{location}"
    target = urlsplit(location)
    if not target.fragment and urlsplit(current).fragment:
        location = target._replace(fragment=urlsplit(current).fragment).geturl()
    if not target.netloc:
        return urljoin(current, quote(location, safe=_SAFE_IN_URL))
    return quote(location, safe=_SAFE_IN_URL)


def _rebind(
    status: int, method: str, body: bytes | None, headers: urllib3.HTTPHeaderDict
) -> tuple[str, bytes | None, urllib3.HTTPHeaderDict]:
    """The next hop's method, body and headers (browsers' and requests' rules)."""
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        method = "GET"
    headers = headers.copy()
    if status not in (307, 308):
        body = None
        for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
            headers.discard(name)
    return method, body, headers


def _carry_credentials(
    request: Request, current: str, target: str, headers: urllib3.HTTPHeaderDict
) -> urllib3.HTTPHeaderDict:
    """Drop ``Authorization`` on the way to another origin; netrc may give the new host's."""
    if "Authorization" in headers and _leaves_origin(current, target):
        headers.discard("Authorization")
    if "Authorization" not in headers and not request.own_authorization:
        parts = urlsplit(target)
        if parts.hostname:
            _set_basic_auth(headers, http_env.netrc_credentials(parts.hostname))
    return headers


def _leaves_origin(current: str, target: str) -> bool:
    old, new = urlsplit(current), urlsplit(target)
    if old.hostname != new.hostname:
        return True
    if (
        old.scheme == "http"
        and old.port in (80, None)
        and new.scheme == "https"
        and new.port in (443, None)
    ):
        return False  # an upgrade to https on the same host keeps its credentials
    default = (_DEFAULT_PORTS.get(old.scheme), None)
    if old.scheme == new.scheme and old.port in default and new.port in default:
        return False
    return old.port != new.port or old.scheme != new.scheme


def _store_cookies(jar: Any, url: str, response: urllib3.BaseHTTPResponse) -> Any:
    from http.cookiejar import CookieJar

    jar = jar if jar is not None else CookieJar()
    jar.extract_cookies(_CookieResponse(response), _CookieRequest(url, {}))
    return jar


def _add_cookies(jar: Any, url: str, headers: urllib3.HTTPHeaderDict) -> None:
    request = _CookieRequest(url, headers)
    jar.add_cookie_header(request)
    if request.cookie is not None:
        headers["Cookie"] = request.cookie


class _CookieRequest:
    """The part of ``urllib.request.Request`` that ``http.cookiejar`` reads."""

    unverifiable = False

    def __init__(self, url: str, headers: Any) -> None:
        self._url = url
        self._headers = headers
        self.cookie: str | None = None
        parts = urlsplit(url)
        self.type = parts.scheme
        self.host = parts.netloc
        self.origin_req_host = parts.hostname or ""

    def get_full_url(self) -> str:
        return self._url

    def get_host(self) -> str:
        return self.host

    def get_type(self) -> str:
        return self.type

    def has_header(self, name: str) -> bool:
        return name in self._headers

    def get_header(self, name: str, default: str | None = None) -> str | None:
        value = self._headers.get(name, default)
        return None if value is None else str(value)

    def header_items(self) -> list[tuple[str, str]]:
        return list(self._headers.items())

    def add_unredirected_header(self, name: str, value: str) -> None:
        if name.lower() == "cookie":
            self.cookie = value


class _CookieResponse:
    """The part of ``http.client.HTTPResponse`` that ``http.cookiejar`` reads."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._headers = response.headers

    def info(self) -> _CookieResponse:
        return self

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        values = self._headers.getlist(name)
        return values or default
