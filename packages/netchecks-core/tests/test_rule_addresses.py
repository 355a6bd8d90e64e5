"""Addresses in rules (a DNS ``server``, ``source-ip``) are checked when the rule is read."""

from __future__ import annotations

from typing import Any

import pytest
from netchecks_core.rules import DnsRule, parse_dns_server
from netchecks_core.validation import parse_rule


def problems(rule: dict[str, Any]) -> list[str]:
    return parse_rule(rule, "rules[0]").errors


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("10.0.0.10", ("10.0.0.10", None)),
        (" 10.0.0.10 ", ("10.0.0.10", None)),
        ("10.0.0.10:5353", ("10.0.0.10", 5353)),
        ("fd00::a", ("fd00::a", None)),
        ("[fd00::a]:5353", ("fd00::a", 5353)),
        ("[fd00::a]", ("fd00::a", None)),
    ],
)
def test_dns_server_forms_are_parsed(server: str, expected: tuple[str, int | None]) -> None:
    assert parse_dns_server(server) == expected


@pytest.mark.parametrize(
    "server",
    [
        "kube-dns.kube-system",
        "10.0.0.10:dns",
        "10.0.0.10:0",
        "10.0.0.10:70000",
        "[fd00::a]x",
        "[10.0.0.1]:53",
        "fd00::a:53:",
        "",
    ],
)
def test_bad_dns_server_is_a_rule_error_naming_the_field(server: str) -> None:
    found = problems({"type": "dns", "host": "example.com", "server": server})

    assert len(found) == 1
    assert found[0].startswith("rules[0].server: ")


def test_dns_server_port_and_port_field_must_agree() -> None:
    found = problems({"type": "dns", "host": "h", "server": "10.0.0.10:53", "port": 5353})

    assert found == ["rules[0]: server '10.0.0.10:53' and port 5353 disagree"]


def test_dns_server_without_port_takes_the_port_field() -> None:
    rule = parse_rule({"type": "dns", "host": "h", "server": "10.0.0.10", "port": 5353}).rule

    assert isinstance(rule, DnsRule)
    assert (rule.server, rule.port) == ("10.0.0.10", 5353)


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "dns", "host": "h"},
        {"type": "http", "url": "http://h/"},
        {"type": "tcp", "host": "h", "port": 1},
    ],
    ids=["dns", "http", "tcp"],
)
def test_source_ip_must_be_an_ip_address(rule: dict[str, Any]) -> None:
    assert problems({**rule, "source-ip": "eth0"}) == [
        "rules[0].source-ip: 'eth0' is not an IP address"
    ]
    assert problems({**rule, "source-ip": "fd00::1"}) == []
