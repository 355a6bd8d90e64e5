"""The ``dns`` check: resolve a name, as the probe's Pod would, or against a given server.

``data`` holds the fields existing rules read (``response-code``, ``A``,
``canonical_name``, ``expiration``, ``response``) and, for every record type,
``answers``: the records of the asked type as structured maps (an MX record is
``{preference, exchange}``, an SRV record ``{priority, weight, port, target}``...).

Like the old probe, the OS resolver configuration (``/etc/resolv.conf``) gives the
search domains (``kubernetes`` resolves as ``kubernetes.default.svc.cluster.local``)
and, when the rule names no ``server``, the nameservers. Queries go over UDP and
are retried over TCP when the answer is truncated.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdatatype
import dns.resolver
import dns.reversename
from netchecks_core.runnable import RunnableDns, parse_dns_server, spec_of

from netchecks_probe.checks.base import Deadline, NetworkClock, is_ip
from netchecks_probe.checks.bounded import call_within
from netchecks_probe.checks.failures import failure, os_error_reason

DEFAULT_RULE = (
    "data['response-code'] == 'NOERROR' && size(data['A']) >= 1 && "
    "(timestamp(data['endTimestamp']) - timestamp(data['startTimestamp']) < duration('10s'))"
)

#: ``run`` bounds itself (:func:`call_within`).
SELF_BOUNDED = True

#: Where the OS resolver configuration lives (search domains, default nameservers).
RESOLV_CONF = "/etc/resolv.conf"

DEFAULT_PORT = 53


def echo_spec(rule: RunnableDns) -> dict[str, Any]:
    """The rule as run; the server is ``nameserver`` (null for the OS resolver), as before."""
    spec = spec_of(rule, exclude=frozenset({"name", "validation", "validate_spec", "server"}))
    spec["nameserver"] = rule.server
    spec["timeout"] = rule.effective_timeout
    return spec


def run(rule: RunnableDns, deadline: Deadline) -> dict[str, Any]:
    """Resolve ``rule.host`` for ``rule.record_type`` and describe the answer."""
    data: dict[str, Any] = {"A": [], "answers": []}
    try:
        resolver, qname = _prepare(rule)
    except ValueError as exc:
        data["response-code"] = "DNSERROR"
        data.update(failure("invalid-target", exc))
        return data
    except dns.resolver.NoResolverConfiguration as exc:
        data["response-code"] = "DNSERROR"
        data.update(failure("dns-error", exc, message=f"no usable resolver configuration: {exc}"))
        return data

    lifetime = round(deadline.remaining(), 2)
    clock = NetworkClock()

    def resolve() -> dns.resolver.Answer:
        clock.start()
        try:
            return resolver.resolve(
                qname,
                rule.record_type,
                lifetime=lifetime,
                search=rule.search,
                source=rule.source_ip,
            )
        finally:
            clock.stop()

    try:
        # The resolver checks its lifetime between attempts, after a back-off sleep:
        # bound the whole resolution as well.
        finished, answer = call_within(resolve, lifetime, deadline)
    except dns.exception.DNSException as exc:
        data.update(_failure_data(exc))
        return {**data, **clock.stamps()}
    if not finished or answer is None:
        clock.stop()
        data["response-code"] = "TIMEOUT"
        data.update(failure("timeout", message=f"no answer within {lifetime:g}s"))
        return {**data, **clock.stamps()}
    data.update(_describe(answer))
    return {**data, **clock.stamps()}


#: What the resolver settings read from ``/etc/resolv.conf`` by (path, mtime, size): one
#: read per run rather than one per rule.
_CONFIGURED = (
    "domain",
    "search",
    "ndots",
    "rotate",
    "timeout",
    "edns",
    "ednsflags",
    "payload",
    "ednsoptions",
)
_OS_CONFIGURATION: dict[tuple[str, int, int], dict[str, Any]] = {}
_OS_CONFIGURATION_LOCK = threading.Lock()


def _os_resolver() -> dns.resolver.Resolver:
    """A fresh resolver configured as the OS resolver is (raises NoResolverConfiguration)."""
    try:
        stat = Path(RESOLV_CONF).stat()
        key = (RESOLV_CONF, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None  # nothing cached: reading it says what is wrong
    with _OS_CONFIGURATION_LOCK:
        settings = _OS_CONFIGURATION.get(key) if key is not None else None
    resolver = dns.resolver.Resolver(configure=False)
    if settings is None:
        resolver.read_resolv_conf(RESOLV_CONF)
        if key is not None:
            settings = {name: copy.copy(getattr(resolver, name)) for name in _CONFIGURED}
            settings["nameservers"] = list(resolver.nameservers)
            with _OS_CONFIGURATION_LOCK:
                _OS_CONFIGURATION.clear()  # only the current file matters
                _OS_CONFIGURATION[key] = settings
        return resolver
    for name, value in settings.items():
        setattr(resolver, name, copy.copy(value))
    return resolver


def _prepare(rule: RunnableDns) -> tuple[dns.resolver.Resolver, dns.name.Name]:
    """A fresh resolver for this rule (the module default is not thread-safe) and the name."""
    # The model has checked the server's form and that its port agrees with `port`.
    server = parse_dns_server(rule.server) if rule.server else None
    try:
        resolver = _os_resolver()
    except dns.resolver.NoResolverConfiguration:
        if server is None:
            raise
        # A given server needs no OS configuration; only the search domains are lost.
        resolver = dns.resolver.Resolver(configure=False)
    if server is not None:
        resolver.nameservers = [server[0]]
    resolver.port = (server[1] if server else None) or rule.port or DEFAULT_PORT
    try:
        if rule.record_type == "PTR" and is_ip(rule.host):
            qname = dns.reversename.from_address(rule.host)
        else:
            # Relative (no origin), so the search domains apply as in the OS resolver.
            qname = dns.name.from_text(rule.host, origin=None)
    except dns.exception.DNSException as exc:
        raise ValueError(f"host {rule.host!r} is not a valid DNS name: {exc}") from exc
    return resolver, qname


def _failure_data(exc: dns.exception.DNSException) -> dict[str, Any]:
    """``response-code`` (the old probe's four values), ``reason`` and the exception."""
    if isinstance(exc, dns.resolver.LifetimeTimeout):
        return {"response-code": "TIMEOUT", **failure("timeout", exc)}
    if isinstance(exc, dns.resolver.NXDOMAIN):
        data = {"response-code": "NXDOMAIN", **failure("nxdomain", exc)}
        responses = list((exc.kwargs.get("responses") or {}).values())
        if responses:
            data["response"] = str(responses[-1])
        return data
    if isinstance(exc, dns.resolver.NoAnswer):
        # The old probe reported a name without records of the asked type as DNSERROR.
        data = {"response-code": "DNSERROR", **failure("no-answer", exc)}
        response = exc.kwargs.get("response")
        if response is not None:
            data["response"] = str(response)
        return data
    if isinstance(exc, dns.resolver.NoNameservers):
        return {"response-code": "DNSERROR", **failure(_no_nameservers_reason(exc), exc)}
    return {"response-code": "DNSERROR", **failure("dns-error", exc)}


def _no_nameservers_reason(exc: dns.resolver.NoNameservers) -> str:
    """Why every nameserver failed: the answer code or the socket error of the last one."""
    errors = exc.kwargs.get("errors") or []
    for _server, _tcp, _port, error, _response in reversed(errors):
        if error == "SERVFAIL":
            return "servfail"
        if error == "REFUSED":
            return "dns-refused"
        if isinstance(error, BaseException):
            reason = os_error_reason(error)
            if reason is not None:
                return reason
    return "dns-error"


def _describe(answer: dns.resolver.Answer) -> dict[str, Any]:
    records = list(answer.rrset or [])
    return {
        "response-code": "NOERROR",
        "A": [record.to_text() for record in records if record.rdtype == dns.rdatatype.A],
        "answers": [record_fields(record) for record in records],
        "canonical_name": answer.canonical_name.to_text(),
        "expiration": answer.expiration,
        "ttl": answer.rrset.ttl if answer.rrset is not None else None,
        "server": _endpoint(answer.nameserver, answer.port) if answer.nameserver else None,
        "response": str(answer.response),
    }


def _endpoint(address: str, port: int | None) -> str:
    port = port or DEFAULT_PORT
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def record_fields(record: dns.rdata.Rdata) -> dict[str, Any]:
    """One record as a map: its ``type``, its zone-file ``text`` and its typed fields."""
    rdtype = record.rdtype
    fields: dict[str, Any] = {"type": dns.rdatatype.to_text(rdtype), "text": record.to_text()}
    rd: Any = record  # the typed fields depend on the record type
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        fields["address"] = rd.address
    elif rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        fields["target"] = rd.target.to_text()
    elif rdtype == dns.rdatatype.MX:
        fields["preference"] = rd.preference
        fields["exchange"] = rd.exchange.to_text()
    elif rdtype == dns.rdatatype.TXT:
        strings = [part.decode("utf-8", "replace") for part in rd.strings]
        fields["strings"] = strings
        fields["value"] = "".join(strings)
    elif rdtype == dns.rdatatype.SRV:
        fields.update(
            priority=rd.priority, weight=rd.weight, port=rd.port, target=rd.target.to_text()
        )
    elif rdtype == dns.rdatatype.SOA:
        fields.update(
            mname=rd.mname.to_text(),
            rname=rd.rname.to_text(),
            serial=rd.serial,
            refresh=rd.refresh,
            retry=rd.retry,
            expire=rd.expire,
            minimum=rd.minimum,
        )
    elif rdtype == dns.rdatatype.CAA:
        fields.update(
            flags=rd.flags,
            tag=rd.tag.decode("ascii", "replace"),
            value=rd.value.decode("utf-8", "replace"),
        )
    return fields
