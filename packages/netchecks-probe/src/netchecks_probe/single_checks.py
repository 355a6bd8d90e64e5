"""The single-check commands (``netchecks http|dns|tcp|postgres ...``): flag -> rule field tables.

Each command builds one rule from its flags and runs it like a config rule. To
add a command, add a :class:`SingleCheck` to :data:`SINGLE_CHECKS`; the flags
every command shares (``--timeout``, ``--validation-rule``, ``--should-fail``,
``--retries``...) are added by the CLI.
"""

from __future__ import annotations

import argparse
import json
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


def header_item(value: str) -> str:
    """One ``NAME:VALUE`` flag value, checked as it is parsed (else a usage error, exit 2)."""
    parse_headers([value])
    return value


def _store(value: bool) -> type[argparse.Action]:
    """An action storing ``value`` (paired flags like --read-only/--read-write share a field
    and leave it unset when neither is given)."""

    class Store(argparse.Action):
        def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
            super().__init__(option_strings, dest, nargs=0, **kwargs)

        def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
            setattr(namespace, self.dest, value)

    return Store


class _AppendParam(argparse.Action):
    """``--param VALUE`` (repeatable): positional SQL parameters."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        current = getattr(namespace, self.dest, None)
        if isinstance(current, dict):
            parser.error("--param cannot be added to --params holding a map")
        setattr(namespace, self.dest, [*(current or []), values])


class _JsonParams(argparse.Action):
    """``--params JSON``: a list (positional) or an object (named) of SQL parameters."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error("give --params once, or --param one or more times, not both")
        from netchecks_core.limits import DataLimitError, load_json

        try:
            params = load_json(values)
        except json.JSONDecodeError as error:
            parser.error(f"--params: invalid JSON: {error.msg}")
        except DataLimitError as error:
            parser.error(f"--params: {error}")
        if not isinstance(params, list | dict):
            parser.error("--params: expected a JSON list or object")
        setattr(namespace, self.dest, params)


def load_grant_rules(source: str) -> list[Any]:
    """The grants rules of a JSON or YAML file: a list, or an object with ``rules``."""
    from netchecks_probe.errors import InputError
    from netchecks_probe.inputs import parse_documents, read_text

    try:
        documents = parse_documents(read_text(source), source)
    except InputError as error:
        raise argparse.ArgumentTypeError(f"{source}: {error}") from None
    if len(documents) != 1:
        raise argparse.ArgumentTypeError(f"{source}: holds {len(documents)} documents, not one")
    document = documents[0]
    rules = document.get("rules") if isinstance(document, dict) else document
    if not isinstance(rules, list):
        raise argparse.ArgumentTypeError(
            f"{source}: expected a list of grants rules (or an object with 'rules')"
        )
    return rules


_DSN_FLAG = Flag(
    ("--dsn",), "dsn", "PostgreSQL connection string or URL", required=True, metavar="DSN"
)

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
                parse=header_item,
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
    "postgres": SingleCheck(
        type="postgres",
        help="run one SQL statement on a PostgreSQL server",
        flags=(
            _DSN_FLAG,
            Flag(("--query",), "query", "exactly one SQL statement", required=True, metavar="SQL"),
            Flag(
                ("--param",),
                "params",
                "a positional parameter (%%s) of the query; repeatable",
                action=_AppendParam,
                metavar="VALUE",
            ),
            Flag(
                ("--params",),
                "params",
                "the query's parameters as JSON: a list (%%s) or an object (%%(name)s)",
                action=_JsonParams,
                metavar="JSON",
            ),
            Flag(
                ("--read-only",),
                "read-only",
                "run in a read-only transaction (default)",
                parse=None,
                action=_store(True),
            ),
            Flag(
                ("--read-write",),
                "read-only",
                "allow the statement to write",
                parse=None,
                action=_store(False),
            ),
            Flag(
                ("--rollback",),
                "rollback",
                "roll the transaction back (default)",
                parse=None,
                action=_store(True),
            ),
            Flag(
                ("--commit",),
                "rollback",
                "commit the transaction",
                parse=None,
                action=_store(False),
            ),
            Flag(
                ("--row-limit",), "row-limit", "rows to keep (default 100)", parse=int, metavar="N"
            ),
        ),
    ),
    "postgres-grants": SingleCheck(
        type="postgres-grants",
        help="assert roles' effective privileges on PostgreSQL objects",
        flags=(
            _DSN_FLAG,
            Flag(
                ("--rules",),
                "rules",
                "grants rules, a JSON or YAML file: a list, or an object with 'rules'",
                parse=load_grant_rules,
                required=True,
                metavar="FILE",
            ),
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
