"""What an http check takes from its environment, as requests (the old probe's client) did.

- **Proxies:** ``http_proxy``, ``https_proxy``, ``all_proxy`` and ``no_proxy`` in either
  case (lower case first; ``HTTP_PROXY`` is ignored under CGI's ``REQUEST_METHOD``).
  ``no_proxy`` takes host suffixes, ``host:port``, IPv4 CIDR blocks and ``*``.
- **Credentials:** ``$NETRC``, else ``~/.netrc`` or ``~/_netrc``, for hosts a URL gives
  no user and password for.
- **Trusted CAs** when a rule gives none: ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else
  certifi's bundle.

A Pod has an environment variable per Service of its namespace, so each answer is
cached under the variables it depends on and so is never stale.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

PROXY_VARIABLES = tuple(
    name
    for scheme in ("http", "https", "all", "no")
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY")
)
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
#: Distinct answers kept per cache; each cache starts over beyond.
_MAX_CACHED = 1024

T = TypeVar("T")


class _Cache:
    """A small thread-safe memo, keyed by the caller."""

    def __init__(self) -> None:
        self._values: dict[object, object] = {}
        self._lock = threading.Lock()

    def get(self, key: object, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[return-value]  # stored by compute
        value = compute()
        with self._lock:
            if len(self._values) >= _MAX_CACHED:
                self._values.clear()
            self._values[key] = value
        return value


_PROXIES = _Cache()
#: Where the netrc file is, by $NETRC and $HOME (one look per run, not per request).
_NETRC_PATHS = _Cache()
_NETRC = _Cache()


def proxy_for(scheme: str, host: str, port: int | None) -> str | None:
    """The proxy URL a request to ``scheme://host:port`` goes through, or None."""
    environment = tuple(os.environ.get(name) for name in (*PROXY_VARIABLES, "REQUEST_METHOD"))
    if not any(environment[:-1]):
        return None
    key = (scheme, host, port, environment)
    return _PROXIES.get(key, lambda: _select_proxy(scheme, host, port))


def _select_proxy(scheme: str, host: str, port: int | None) -> str | None:
    # Imported only when a proxy variable is set.
    from urllib.request import getproxies_environment

    proxies = getproxies_environment()
    if _bypassed(host, port, proxies):
        return None
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        if proxies.get(key):
            return proxies[key]
    return None


def _bypassed(host: str, port: int | None, proxies: dict[str, str]) -> bool:
    # Undocumented but stable since Python 3.0 (typeshed omits it).
    from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

    entries = [entry.strip() for entry in proxies.get("no", "").split(",") if entry.strip()]
    address = _ipv4(host)
    if address is not None:
        for entry in entries:
            if "/" in entry:
                try:
                    if address in ipaddress.IPv4Network(entry, strict=False):
                        return True
                except ValueError:
                    continue
            elif entry == host:
                return True
    else:
        with_port = f"{host}:{port}" if port else host
        if any(host.endswith(entry) or with_port.endswith(entry) for entry in entries):
            return True
    return bool(proxy_bypass_environment(host, proxies))


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def netrc_credentials(host: str) -> tuple[str, str] | None:
    """The login and password the netrc file gives ``host``, or None."""
    where = (os.environ.get("NETRC"), os.environ.get("HOME"))
    path = _NETRC_PATHS.get(where, _netrc_path)
    if path is None:
        return None
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return _NETRC.get((str(path), stamp, host), lambda: _read_netrc(path, host))


def _netrc_path() -> Path | None:
    explicit = os.environ.get("NETRC")
    candidates = [explicit] if explicit else ["~/.netrc", "~/_netrc"]
    for candidate in candidates:
        try:
            path = Path(candidate).expanduser()
        except RuntimeError:  # no home directory to expand ~ to
            return None
        if path.exists():
            return path
    return None


def _read_netrc(path: Path, host: str) -> tuple[str, str] | None:
    from netrc import NetrcParseError, netrc

    try:
        entry = netrc(str(path)).authenticators(host)
    except (NetrcParseError, OSError):
        return None
    if not entry:
        return None
    login, account, password = entry
    return (login or account or "", password or "")


def default_ca_bundle() -> str:
    """The CA bundle verifying a rule that names none."""
    for name in _CA_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value
    import certifi

    return str(certifi.where())
