"""Rules and probe configs as they run: plain frozen dataclasses, checked without pydantic.

The models of :mod:`netchecks_core.rules` and :mod:`netchecks_core.probe_config` are
the definition: JSON Schemas, the CRD, messages and every answer about invalid input
come from them. A probe run, though, pays some 190 ms of CPU to import pydantic and
build them, three quarters of a one-rule run. So the run path asks :func:`lean_rule` and
:func:`lean_config` first: they accept only input the models certainly accept (exact
JSON types, values within bounds, no unknown or doubled field) and give the very
values the models would. Anything else, a valid input they are not sure of included,
goes to the models (:func:`runnable_rule`, :func:`runnable_config`), and their answer
is turned into these dataclasses. The tests hold both to the same fields, defaults and
bounds, and check them against each other on generated input.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from netchecks_core.depth import MAX_DEPTH

if TYPE_CHECKING:
    from netchecks_core.probe_config import ProbeConfig
    from netchecks_core.rules import GrantRule, RuleBase

#: Spec and data fields replaced by "REDACTED" in results unless redaction is off.
REDACTED_FIELDS = frozenset({"headers", "dsn", "password", "params", "connection"})
REDACTED = "REDACTED"

DNS_RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "PTR", "SOA", "CAA")
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
#: Most of a response body an http rule may keep (``max-body-bytes``): results must fit
#: in the probe's bounded output (see the probe's output_bounds), JSON escaping included.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Context names that would shadow the CEL result variables.
RESERVED_CONTEXT_NAMES = frozenset({"data", "spec"})


def kebab(name: str) -> str:
    """The wire name of a Python field: ``verify_tls_cert`` -> ``verify-tls-cert``."""
    return name.replace("_", "-")


def parse_dns_server(server: str) -> tuple[str, int | None]:
    """Split a DNS ``server`` (``IP``, ``IP:port`` or ``[IPv6]:port``) into address and port.

    Raises:
        ValueError: any other form (a host name is refused: resolving the resolver
            would need a resolver).
    """
    text = server.strip()
    try:
        return str(ipaddress.ip_address(text)), None
    except ValueError:
        pass
    if text.startswith("["):
        address, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError(f"{server!r}: expected [IPv6]:port")
        port_text = rest[1:] if rest else None
        version = 6
    else:
        address, _, port_text = text.rpartition(":")
        version = 4
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{server!r} is not an IP address, IP:port or [IPv6]:port") from None
    if ip.version != version:
        raise ValueError(f"{server!r}: write an IPv6 address with a port as [IPv6]:port")
    if port_text is None:
        return str(ip), None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{server!r}: the port must be a number from 1 to 65535")
    return str(ip), int(port_text)


def blank_statement(query: str) -> bool:
    """Whether a postgres rule's ``query`` holds no SQL statement at all (blank or ``;``)."""
    return not query.strip().strip(";").strip()


def dns_ports_disagree(server: str | None, port: int | None) -> bool:
    """Whether a dns rule's ``server`` names a port other than its ``port``."""
    if server is None or port is None:
        return False
    _, server_port = parse_dns_server(server)
    return server_port is not None and server_port != port


def ip_address_text(value: str | None) -> str | None:
    """``value`` as the canonical text of an IP address (None stays None)."""
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValidateValues:
    """A rule's ``validate``: the CEL ``pattern`` and its ``message`` for people."""

    pattern: str | None = None
    message: str | None = None


class _PatternAndMessage(Protocol):
    @property
    def pattern(self) -> str | None: ...

    @property
    def message(self) -> str | None: ...


class _Judged(Protocol):
    DEFAULT_TIMEOUT: ClassVar[float]

    @property
    def validation(self) -> str | None: ...

    @property
    def validate_spec(self) -> _PatternAndMessage | None: ...

    @property
    def timeout(self) -> float | None: ...


class RuleJudgement:
    """What a rule's fields mean for its judgement: of the models and of the dataclasses."""

    __slots__ = ()

    @property
    def pattern(self: _Judged) -> str | None:
        """The CEL rule the user gave: ``validation`` first, else ``validate.pattern``."""
        if self.validation:
            return self.validation
        if self.validate_spec is not None and self.validate_spec.pattern:
            return self.validate_spec.pattern
        return None

    @property
    def message(self: _Judged) -> str | None:
        """The human message of ``validate.message``, if any."""
        return self.validate_spec.message if self.validate_spec is not None else None

    @property
    def effective_timeout(self: _Judged) -> float:
        """The timeout that applies: the rule's own, else the type's default."""
        return self.timeout if self.timeout is not None else self.DEFAULT_TIMEOUT


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableRule(RuleJudgement):
    """Fields every rule type shares (as :class:`netchecks_core.rules.RuleBase`)."""

    #: Timeout in seconds when the rule sets none; each type sets its own.
    DEFAULT_TIMEOUT: ClassVar[float] = 10.0

    name: str | None = None
    type: str
    expected: str = "pass"
    validation: str | None = None
    validate_spec: ValidateValues | None = None
    timeout: float | None = None
    retries: int = 0
    retry_delay: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableDns(RunnableRule):
    """A ``dns`` rule (:class:`netchecks_core.rules.DnsRule`)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 10.0
    host: str
    server: str | None = None
    port: int | None = None
    record_type: str = "A"
    source_ip: str | None = None
    search: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableHttp(RunnableRule):
    """An ``http`` rule (:class:`netchecks_core.rules.HttpRule`)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 30.0
    url: str
    method: str = "get"
    headers: dict[str, str] | None = None
    body: str | None = None
    verify_tls_cert: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    follow_redirects: bool = True
    max_body_bytes: int = 1024 * 1024
    source_ip: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableTcp(RunnableRule):
    """A ``tcp`` rule (:class:`netchecks_core.rules.TcpRule`)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    host: str
    port: int
    send: str | None = None
    expect: str | None = None
    source_ip: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableInternal(RunnableRule):
    """An ``internal`` rule (:class:`netchecks_core.rules.InternalRule`)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnablePostgres(RunnableRule):
    """A ``postgres`` rule (:class:`netchecks_core.rules.PostgresRule`)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    dsn: str
    query: str
    params: list[Any] | dict[str, Any] | None = None
    read_only: bool = True
    rollback: bool = True
    row_limit: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnablePostgresGrants(RunnableRule):
    """A ``postgres-grants`` rule; its grants rules stay models (always checked by them)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    dsn: str
    rules: list[GrantRule]


#: The runnable class of each rule type.
RUNNABLE_TYPES: dict[str, type[RunnableRule]] = {
    "dns": RunnableDns,
    "http": RunnableHttp,
    "tcp": RunnableTcp,
    "internal": RunnableInternal,
    "postgres": RunnablePostgres,
    "postgres-grants": RunnablePostgresGrants,
}


class _NotSureError(Exception):
    """The lean check cannot vouch for a value: the models decide."""


#: A lean field check: the value the model would hold, or :class:`_NotSureError`.
Check = Callable[[Any], Any]


def _is_text(value: Any) -> bool:
    """A str the models read as one: not a str subclass, no lone surrogate (from JSON)."""
    if type(value) is not str:
        return False
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _text(min_length: int = 0) -> Check:
    def check(value: Any) -> str:
        if not _is_text(value) or len(value) < min_length:
            raise _NotSureError
        return str(value)

    return check


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise _NotSureError
        return value

    return check


def _number(low: float, high: float, *, above_low: bool = False) -> Check:
    def check(value: Any) -> float:
        if type(value) not in (int, float) or not low <= value <= high:
            raise _NotSureError
        if above_low and value == low:
            raise _NotSureError
        return float(value)

    return check


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise _NotSureError
    return value


def _choice(choices: tuple[str, ...], normal: Callable[[str], str]) -> Check:
    def check(value: Any) -> str:
        if type(value) is not str or normal(value) not in choices:
            raise _NotSureError
        return normal(value)

    return check


def _expected(value: Any) -> str:
    # The old CLI wrote `expected: null` for "should pass" (as the model accepts).
    return "pass" if value is None else _choice(("pass", "fail"), str.lower)(value)


def _validate(value: Any) -> ValidateValues | None:
    if value is None:
        return None
    if type(value) is not dict or not set(value) <= {"pattern", "message"}:
        raise _NotSureError
    text = _optional(_text())
    return ValidateValues(text(value.get("pattern")), text(value.get("message")))


def _dns_server(value: Any) -> str | None:
    if value is None:
        return None
    try:
        parse_dns_server(_text()(value))
    except ValueError:
        raise _NotSureError from None
    return str(value)


def _source_ip(value: Any) -> str | None:
    try:
        return ip_address_text(_optional(_text())(value))
    except ValueError:
        raise _NotSureError from None


def _headers(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _NotSureError
    for key, item in value.items():
        if not (_is_text(key) and _is_text(item)):
            raise _NotSureError
    return dict(value)


def _query(value: Any) -> str:
    text = _text(1)(value)
    if blank_statement(text):
        raise _NotSureError
    return str(text)


def _params(value: Any) -> list[Any] | dict[str, Any] | None:
    # Only plain JSON values: anything else (a YAML date) the model's dump converts.
    if value is None:
        return None
    if type(value) is list and _plain_json(value):
        return list(value)
    if type(value) is dict and _plain_json(value):
        return dict(value)
    raise _NotSureError


def _plain_json(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if type(value) is dict:
        return all(_is_text(k) and _plain_json(v, depth + 1) for k, v in value.items())
    if type(value) is list:
        return all(_plain_json(item, depth + 1) for item in value)
    if type(value) is float:
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


_BASE_CHECKS: dict[str, Check] = {
    "name": _optional(_text()),
    "expected": _expected,
    "validation": _optional(_text()),
    "validate_spec": _validate,
    "timeout": _optional(_number(0, 3600, above_low=True)),
    "retries": _integer(0, 10),
    "retry_delay": _number(0, 300),
}
#: The lean check of every field of each type the lean path knows (not postgres-grants).
LEAN_CHECKS: dict[str, dict[str, Check]] = {
    "dns": {
        **_BASE_CHECKS,
        "host": _text(1),
        "server": _dns_server,
        "port": _optional(_integer(1, 65535)),
        "record_type": _choice(DNS_RECORD_TYPES, str.upper),
        "source_ip": _source_ip,
        "search": _flag,
    },
    "http": {
        **_BASE_CHECKS,
        "url": _text(1),
        "method": _choice(HTTP_METHODS, str.lower),
        "headers": _headers,
        "body": _optional(_text()),
        "verify_tls_cert": _flag,
        "ca_bundle": _optional(_text()),
        "client_cert": _optional(_text()),
        "client_key": _optional(_text()),
        "follow_redirects": _flag,
        "max_body_bytes": _integer(0, MAX_BODY_BYTES),
        "source_ip": _source_ip,
    },
    "tcp": {
        **_BASE_CHECKS,
        "host": _text(1),
        "port": _integer(1, 65535),
        "send": _optional(_text()),
        "expect": _optional(_text()),
        "source_ip": _source_ip,
    },
    "internal": dict(_BASE_CHECKS),
    "postgres": {
        **_BASE_CHECKS,
        "dsn": _text(1),
        "query": _query,
        "params": _params,
        "read_only": _flag,
        "rollback": _flag,
        "row_limit": _integer(0, 10_000),
    },
}


def _wire_name(name: str) -> str:
    return "validate" if name == "validate_spec" else kebab(name)


#: Each type's fields by every name the model reads them by (kebab-case and Python).
_FIELD_NAMES: dict[str, dict[str, str]] = {
    rule_type: {
        **{name: name for name in checks},
        **{_wire_name(name): name for name in checks},
    }
    for rule_type, checks in LEAN_CHECKS.items()
}


def lean_rule(raw: Any) -> RunnableRule | None:
    """The rule ready to run when the models would certainly accept ``raw`` as it is.

    None: not sure (invalid, or valid in a way only the models can tell); ask them.
    """
    rule_type = raw.get("type") if type(raw) is dict else None
    if type(rule_type) is not str or rule_type not in LEAN_CHECKS:
        return None
    checks = LEAN_CHECKS[rule_type]
    names = _FIELD_NAMES[rule_type]
    values: dict[str, Any] = {}
    try:
        for key, value in raw.items():
            if key == "type":
                continue
            name = names.get(key) if _is_text(key) else None
            if name is None or name in values:  # unknown, or given by both its names
                return None
            values[name] = checks[name](value)
        runnable = RUNNABLE_TYPES[rule_type](type=rule_type, **values)
    except (_NotSureError, TypeError):  # TypeError: a required field is missing
        return None
    if isinstance(runnable, RunnableDns) and dns_ports_disagree(runnable.server, runnable.port):
        return None
    return runnable


def from_model(model: RuleBase) -> RunnableRule:
    """The runnable rule of a validated rule model (of :mod:`netchecks_core.rules`)."""
    runnable = RUNNABLE_TYPES[model.type]
    values = {f.name: getattr(model, f.name) for f in fields(runnable)}
    spec = values["validate_spec"]
    if spec is not None:
        values["validate_spec"] = ValidateValues(spec.pattern, spec.message)
    return runnable(**values)


def runnable_rule(
    template: Any, rendered: Any, where: str = ""
) -> tuple[RunnableRule | None, list[str]]:
    """``rendered`` (``template`` with its templates rendered) ready to run, or its problems.

    The models decide whatever :func:`lean_rule` is not sure of, with their messages
    (and 0.10's coercion of whole-template values: see ``parse_rendered_rule``).
    """
    lean = lean_rule(rendered)
    if lean is not None:
        return lean, []
    from netchecks_core.validation.rule import parse_rendered_rule

    outcome = parse_rendered_rule(template, rendered, where)
    return (from_model(outcome.rule) if outcome.rule is not None else None), outcome.errors


def parse_runnable(raw: Any) -> RunnableRule:
    """``raw`` (a rule with nothing left to render) ready to run.

    Raises:
        ValueError: it is invalid; the message says why.
    """
    rule, errors = runnable_rule(raw, raw)
    if rule is None:
        raise ValueError("; ".join(errors))
    return rule


def spec_of(rule: RunnableRule, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The rule's fields by their wire names, None left out (the model's JSON dump)."""
    spec: dict[str, Any] = {}
    for item in fields(rule):
        value = getattr(rule, item.name)
        if value is None or item.name in exclude:
            continue
        if isinstance(value, ValidateValues):
            value = {
                k: v
                for k, v in (("pattern", value.pattern), ("message", value.message))
                if v is not None
            }
        elif isinstance(rule, RunnablePostgresGrants) and item.name == "rules":
            value = [g.model_dump(mode="json", by_alias=True, exclude_none=True) for g in value]
        elif isinstance(value, dict | list):
            value = _copy_json(value)
        spec[_wire_name(item.name)] = value
    return spec


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


# --- the probe config ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableContext:
    """A probe config context (:mod:`netchecks_core.probe_config`)."""

    name: str
    secret: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableInlineContext(RunnableContext):
    """Data given in the config itself; its strings may hold templates."""

    data: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnablePathContext(RunnableContext):
    """A context read from a path."""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableFileContext(RunnablePathContext):
    """A JSON or YAML file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnableDirectoryContext(RunnablePathContext):
    """A directory (such as a mounted ConfigMap): each file is a key."""


#: The context types read from a path.
_PATH_CONTEXTS: dict[str, type[RunnablePathContext]] = {
    "file": RunnableFileContext,
    "directory": RunnableDirectoryContext,
}


@dataclass(frozen=True, slots=True)
class RunnableAssertion:
    """A named group of rules, each still a raw dict (rendered and checked as it runs)."""

    name: str
    rules: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RunnableConfig:
    """A probe config ready to run (:class:`netchecks_core.probe_config.ProbeConfig`)."""

    assertions: list[RunnableAssertion]
    contexts: list[RunnableContext] = field(default_factory=list)
    #: Fields the config gives beyond these (``disableRedaction``).
    extra: Mapping[str, Any] = field(default_factory=dict)


def lean_config(document: Any) -> RunnableConfig | None:
    """The config ready to run when the model would certainly accept ``document``.

    Its rules are not looked into (each is checked as it runs). None: ask the model.
    """
    try:
        _str_keys(document)
        assertions = [_lean_assertion(a) for a in _list(document.get("assertions"))]
        contexts = [_lean_context(c) for c in _list(document.get("contexts", []))]
    except _NotSureError:
        return None
    if len({c.name for c in contexts}) != len(contexts):
        return None
    extra = {k: v for k, v in document.items() if k not in ("assertions", "contexts")}
    return RunnableConfig(assertions, contexts, extra)


def _str_keys(value: Any) -> dict[str, Any]:
    if type(value) is not dict or not all(_is_text(key) for key in value):
        raise _NotSureError
    return value


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _NotSureError
    return value


def _lean_assertion(raw: Any) -> RunnableAssertion:
    _str_keys(raw)
    rules = [dict(_str_keys(rule)) for rule in _list(raw.get("rules"))]
    return RunnableAssertion(_text(1)(raw.get("name")), rules)


def _lean_context(raw: Any) -> RunnableContext:
    _str_keys(raw)
    context_type = raw.get("type")
    inline = context_type == "inline"
    if not (inline or (type(context_type) is str and context_type in _PATH_CONTEXTS)):
        raise _NotSureError
    if not set(raw) <= {"name", "secret", "type", "data" if inline else "path"}:
        raise _NotSureError
    name = _text(1)(raw.get("name"))
    if name in RESERVED_CONTEXT_NAMES:
        raise _NotSureError
    secret = _flag(raw.get("secret", False))
    if inline:
        return RunnableInlineContext(name=name, secret=secret, data=raw.get("data"))
    path = _text(1)(raw.get("path"))
    return _PATH_CONTEXTS[context_type](name=name, secret=secret, path=path)


def runnable_config(document: Any) -> RunnableConfig:
    """The config ready to run; the model decides what :func:`lean_config` is not sure of.

    Raises:
        pydantic.ValidationError: the model refuses it.
    """
    lean = lean_config(document)
    if lean is not None:
        return lean
    from netchecks_core.probe_config import ProbeConfig

    return config_from_model(ProbeConfig.model_validate(document))


def config_from_model(model: ProbeConfig) -> RunnableConfig:
    """The runnable config of a validated :class:`ProbeConfig`."""
    contexts: list[RunnableContext] = []
    for context in model.contexts:
        if context.type == "inline":
            inline = RunnableInlineContext(
                name=context.name, secret=context.secret, data=context.data
            )
            contexts.append(inline)
        else:
            runnable = _PATH_CONTEXTS[context.type]
            contexts.append(runnable(name=context.name, secret=context.secret, path=context.path))
    assertions = [RunnableAssertion(a.name, a.rules) for a in model.assertions]
    return RunnableConfig(assertions, contexts, dict(model.model_extra or {}))
