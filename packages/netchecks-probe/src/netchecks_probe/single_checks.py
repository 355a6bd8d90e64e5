"""The single-check commands (``netchecks http|dns|tcp ...``): flag -> rule field tables.

Each command builds one rule from its flags and runs it like a config rule. To
add a command, add a :class:`SingleCheck` to :data:`SINGLE_CHECKS`; the flags
every command shares (``--timeout``, ``--validation-rule``, ``--should-fail``,
``--retries``...) are added by the CLI.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flag:
    """One command-line flag and the rule field it sets (``None``: left unset)."""

    flags: tuple[str, ...]
    field: str
    help: str
    parse: Callable[[str], Any] | None = str
    action: str | type[argparse.Action] | None = None
    required: bool = False
    metavar: str | None = None
    #: Turns the parsed value into the rule's value (e.g. ``K:V`` headers -> dict).
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class SingleCheck:
    """A single-check command: its check type, help and flags."""

    type: str
    help: str
    flags: tuple[Flag, ...] = field(default_factory=tuple)


def parse_headers(values: list[str]) -> dict[str, str]:
    """``["Authorization: Bearer a:b"]`` -> ``{"Authorization": "Bearer a:b"}``.

    Each value is split at its first ``:``, so values may contain ``:``.
    """
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"header {value!r}: expected NAME:VALUE")
        headers[name.strip()] = content.strip()
    return headers


SINGLE_CHECKS: dict[str, SingleCheck] = {
    "http": SingleCheck(
        type="http",
        help="send one HTTP request",
        flags=(
            Flag(("--url",), "url", "URL to request", required=True),
            Flag(("--method",), "method", "HTTP method (default get)"),
            Flag(
                ("-h", "--header"),
                "headers",
                "header to send, NAME:VALUE (the value may contain ':'); repeatable",
                action="append",
                metavar="NAME:VALUE",
                convert=parse_headers,
            ),
            Flag(("--body",), "body", "request body"),
            Flag(
                ("--insecure",),
                "verify-tls-cert",
                "do not verify the server's TLS certificate",
                parse=None,
                action="store_true",
                convert=lambda v: False if v else None,
            ),
            Flag(
                ("--ca-bundle",),
                "ca-bundle",
                "CA certificates (PEM file) to verify the server with",
            ),
            Flag(("--client-cert",), "client-cert", "client certificate (PEM file)"),
            Flag(("--client-key",), "client-key", "client private key (PEM file)"),
            Flag(
                ("--no-follow-redirects",),
                "follow-redirects",
                "report a redirect instead of following it",
                parse=None,
                action="store_true",
                convert=lambda v: False if v else None,
            ),
            Flag(
                ("--max-body-bytes",),
                "max-body-bytes",
                "keep at most this much of the body",
                parse=int,
            ),
            Flag(("--source-ip",), "source-ip", "local IP address to connect from"),
        ),
    ),
    "dns": SingleCheck(
        type="dns",
        help="resolve a host name",
        flags=(
            Flag(("--host",), "host", "name to resolve", required=True),
            Flag(("-s", "--server"), "server", "DNS server: IP, IP:port or [IPv6]:port"),
            Flag(("--port",), "port", "DNS server port (default 53)", parse=int),
            Flag(
                ("--type",),
                "record-type",
                "record type: A (default), AAAA, CNAME, MX, TXT, SRV, NS, PTR",
            ),
            Flag(("--source-ip",), "source-ip", "local IP address to query from"),
            Flag(
                ("--no-search",),
                "search",
                "do not apply the resolver's search domains",
                parse=None,
                action="store_true",
                convert=lambda v: False if v else None,
            ),
        ),
    ),
    "tcp": SingleCheck(
        type="tcp",
        help="open a TCP connection",
        flags=(
            Flag(("--host",), "host", "host to connect to", required=True),
            Flag(("--port",), "port", "port to connect to", parse=int, required=True),
            Flag(("--send",), "send", "text to send once connected"),
            Flag(("--expect",), "expect", "text the server's reply must contain"),
            Flag(("--source-ip",), "source-ip", "local IP address to connect from"),
        ),
    ),
}


def rule_from_flags(check: SingleCheck, values: dict[str, Any]) -> dict[str, Any]:
    """The rule a command's parsed flags describe (``values`` keyed by rule field)."""
    rule: dict[str, Any] = {"name": check.type, "type": check.type}
    for flag in check.flags:
        value = values.get(flag.field)
        if flag.convert is not None and value is not None:
            value = flag.convert(value)
        if value is not None:
            rule[flag.field] = value
    return rule
