"""The ``dns`` check against a real DNS server (dnsmasq on a loopback port)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import pytest
from netchecks_core.cel import evaluate
from netchecks_core.runnable import RunnableDns, parse_runnable
from netchecks_probe.checks import dns as dns_check

from tools.probe_testing import run_check
from tools.targets import dns as records
from tools.targets.dns import DnsServer, RcodeDnsServer


def rule(**fields: Any) -> RunnableDns:
    parsed = parse_runnable({"type": "dns", **fields})
    assert isinstance(parsed, RunnableDns)
    return parsed


def check(**fields: Any) -> dict[str, Any]:
    """Run the check on ``fields`` (``deadline``: of the run, default 10 s)."""
    deadline = float(fields.pop("deadline", 10))
    return run_check(dns_check, "dns", deadline, **fields)


def default_rule_passes(data: dict[str, Any]) -> bool:
    now = datetime.now(UTC).isoformat()
    stamped = {"startTimestamp": now, "endTimestamp": now, **data}
    return evaluate(dns_check.DEFAULT_RULE, {"data": stamped}) is True


def test_a_record_gives_noerror_addresses_and_answer_details(dns_server: DnsServer) -> None:
    before = time.time()
    data = check(host=records.WWW, server=dns_server.address)

    assert data["response-code"] == "NOERROR"
    assert data["A"] == [records.WWW_A]
    assert data["answers"] == [{"type": "A", "text": records.WWW_A, "address": records.WWW_A}]
    assert data["canonical_name"] == records.WWW + "."
    assert data["ttl"] == records.TTL
    assert before + records.TTL - 5 <= data["expiration"] <= time.time() + records.TTL
    assert data["server"] == dns_server.address
    assert records.WWW in data["response"]
    assert "reason" not in data
    assert default_rule_passes(data)


def test_default_rule_fails_for_a_missing_name(dns_server: DnsServer) -> None:
    data = check(host=records.MISSING, server=dns_server.address)

    assert not default_rule_passes(data)


def test_nxdomain_sets_response_code_and_reason(dns_server: DnsServer) -> None:
    data = check(host=records.MISSING, server=dns_server.address)

    assert data["response-code"] == "NXDOMAIN"
    assert data["reason"] == "nxdomain"
    assert data["exception-type"] == "NXDOMAIN"
    assert records.MISSING in data["exception"]
    assert data["A"] == []
    assert "NXDOMAIN" in data["response"]


def test_aaaa_query_lists_ipv6_answers_and_no_a_records(dns_server: DnsServer) -> None:
    data = check(host=records.WWW, server=dns_server.address, **{"record-type": "aaaa"})

    assert data["response-code"] == "NOERROR"
    assert data["A"] == []
    assert [a["address"] for a in data["answers"]] == [records.WWW_AAAA]
    assert data["answers"][0]["type"] == "AAAA"


def test_a_query_of_an_alias_follows_the_cname(dns_server: DnsServer) -> None:
    data = check(host=records.ALIAS, server=dns_server.address)

    assert data["A"] == [records.WWW_A]
    assert data["canonical_name"] == records.WWW + "."


def test_cname_query_gives_the_target(dns_server: DnsServer) -> None:
    data = check(host=records.ALIAS, server=dns_server.address, **{"record-type": "CNAME"})

    assert data["answers"] == [
        {"type": "CNAME", "text": records.WWW + ".", "target": records.WWW + "."}
    ]


def test_mx_records_have_preference_and_exchange(dns_server: DnsServer) -> None:
    data = check(host=records.ZONE, server=dns_server.address, **{"record-type": "MX"})

    found = sorted((a["preference"], a["exchange"]) for a in data["answers"])
    assert found == [(pref, host + ".") for pref, host in records.MX_RECORDS]
    assert evaluate(
        "data.answers.exists(r, r.preference == 10 && r.exchange == 'mail.netchecks.test.')",
        {"data": data},
    )


def test_txt_record_keeps_its_strings_and_their_concatenation(dns_server: DnsServer) -> None:
    data = check(host=records.TXT, server=dns_server.address, **{"record-type": "TXT"})

    (answer,) = data["answers"]
    assert answer["strings"] == list(records.TXT_STRINGS)
    assert answer["value"] == "".join(records.TXT_STRINGS)


def test_srv_record_has_priority_weight_port_and_target(dns_server: DnsServer) -> None:
    data = check(host=records.SRV, server=dns_server.address, **{"record-type": "SRV"})

    priority, weight, port, target = records.SRV_RECORD
    (answer,) = data["answers"]
    assert answer["priority"] == priority
    assert answer["weight"] == weight
    assert answer["port"] == port
    assert answer["target"] == target + "."


def test_ns_record_gives_the_nameserver(dns_server: DnsServer) -> None:
    data = check(host=records.ZONE, server=dns_server.address, **{"record-type": "NS"})

    assert [a["target"] for a in data["answers"]] == [records.NAMESERVER + "."]


def test_soa_record_has_its_fields(dns_server: DnsServer) -> None:
    data = check(host=records.ZONE, server=dns_server.address, **{"record-type": "SOA"})

    (answer,) = data["answers"]
    assert answer["mname"] == records.NAMESERVER + "."
    assert answer["rname"] == f"hostmaster.{records.ZONE}."
    assert (answer["serial"], answer["refresh"], answer["retry"]) == (2024010101, 3600, 600)
    assert (answer["expire"], answer["minimum"]) == (86400, 300)


def test_caa_record_has_flags_tag_and_value(dns_server: DnsServer) -> None:
    data = check(host=records.ZONE, server=dns_server.address, **{"record-type": "CAA"})

    assert data["answers"] == [
        {
            "type": "CAA",
            "text": records.CAA_RECORD,
            "flags": 0,
            "tag": "issue",
            "value": "letsencrypt.org",
        }
    ]


def test_ptr_query_of_an_ip_address_uses_the_reverse_name(dns_server: DnsServer) -> None:
    data = check(host=records.WWW_A, server=dns_server.address, **{"record-type": "PTR"})

    assert data["canonical_name"] == "10.2.0.192.in-addr.arpa."
    assert [a["target"] for a in data["answers"]] == [records.WWW + "."]


def test_name_without_records_of_the_type_is_a_dns_error_with_reason_no_answer(
    dns_server: DnsServer,
) -> None:
    data = check(host=records.WWW, server=dns_server.address, **{"record-type": "MX"})

    assert data["response-code"] == "DNSERROR"
    assert data["reason"] == "no-answer"
    assert data["exception-type"] == "NoAnswer"


def test_truncated_udp_answer_is_retried_over_tcp(dns_server: DnsServer) -> None:
    # The premise: over UDP the answer does not fit and comes back truncated.
    query = dns.message.make_query(records.MANY, "A")
    udp = dns.query.udp(query, "127.0.0.1", port=dns_server.port, timeout=2)
    assert udp.flags & dns.flags.TC

    data = check(host=records.MANY, server=dns_server.address)

    assert data["response-code"] == "NOERROR"
    assert sorted(data["A"]) == sorted(records.MANY_A)


def test_unanswered_query_times_out_within_the_rule_timeout(dns_server: DnsServer) -> None:
    started = time.monotonic()
    data = check(host=f"x.{records.TIMEOUT_DOMAIN}", server=dns_server.address, timeout=0.4)
    elapsed = time.monotonic() - started

    assert data["response-code"] == "TIMEOUT"
    assert data["reason"] == "timeout"
    assert data["A"] == []
    assert elapsed < 0.4 + 0.3
    assert not default_rule_passes(data)


def test_run_deadline_shorter_than_the_timeout_bounds_the_query(dns_server: DnsServer) -> None:
    started = time.monotonic()
    data = check(
        deadline=0.3, host=f"y.{records.TIMEOUT_DOMAIN}", server=dns_server.address, timeout=10
    )

    assert data["reason"] == "timeout"
    assert time.monotonic() - started < 0.3 + 0.3


def test_refused_query_has_reason_dns_refused(dns_server: DnsServer) -> None:
    # dnsmasq forwards nothing: names outside its zones are refused.
    data = check(host="example.org", server=dns_server.address)

    assert data["response-code"] == "DNSERROR"
    assert data["reason"] == "dns-refused"
    assert "REFUSED" in data["exception"]


def test_servfail_answer_has_reason_servfail(servfail_dns_server: RcodeDnsServer) -> None:
    data = check(host=records.WWW, server=servfail_dns_server.address)

    assert data["response-code"] == "DNSERROR"
    assert data["reason"] == "servfail"


def test_port_field_selects_the_server_port(dns_server: DnsServer) -> None:
    data = check(host=records.WWW, server="127.0.0.1", port=dns_server.port)

    assert data["A"] == [records.WWW_A]


def test_ipv6_server_with_port_in_brackets(dns_server: DnsServer) -> None:
    if not dns_server.ipv6:
        pytest.skip("this machine has no IPv6 loopback")
    data = check(host=records.WWW, server=dns_server.address6)

    assert data["A"] == [records.WWW_A]
    assert data["server"] == dns_server.address6


def test_invalid_host_name_is_an_invalid_target(dns_server: DnsServer) -> None:
    data = check(host="a..b", server=dns_server.address)

    assert data["reason"] == "invalid-target"


def test_source_ip_of_this_host_is_used(dns_server: DnsServer) -> None:
    data = check(host=records.WWW, server=dns_server.address, **{"source-ip": "127.0.0.1"})

    assert data["A"] == [records.WWW_A]


def test_source_ip_not_on_this_host_has_reason_source_ip_unavailable(
    dns_server: DnsServer,
) -> None:
    data = check(host=records.WWW, server=dns_server.address, **{"source-ip": "192.0.2.1"})

    assert data["response-code"] == "DNSERROR"
    assert data["reason"] == "source-ip-unavailable"


@pytest.fixture
def resolv_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An OS resolver configuration with a search domain, used instead of /etc/resolv.conf."""
    path = tmp_path / "resolv.conf"
    path.write_text(f"nameserver 127.0.0.1\nsearch {records.ZONE}\n")
    monkeypatch.setattr(dns_check, "RESOLV_CONF", str(path))
    return path


def test_short_name_is_found_through_the_os_search_domains(
    dns_server: DnsServer, resolv_conf: Path
) -> None:
    # No server: the OS configuration's nameserver, on the rule's port.
    data = check(host="www", port=dns_server.port)

    assert data["A"] == [records.WWW_A]
    assert data["canonical_name"] == records.WWW + "."


def test_the_os_configuration_is_read_once_but_never_stale(
    dns_server: DnsServer, resolv_conf: Path
) -> None:
    assert check(host="www", port=dns_server.port)["A"] == [records.WWW_A]

    resolv_conf.write_text("nameserver 127.0.0.1\nsearch elsewhere.test\n")  # another size

    assert check(host="www", port=dns_server.port)["A"] == []


def test_search_domains_apply_with_an_explicit_server_too(
    dns_server: DnsServer, resolv_conf: Path
) -> None:
    data = check(host="mail", server=dns_server.address)

    assert data["A"] == [records.MAIL_A]


def test_search_false_queries_the_name_as_given(dns_server: DnsServer, resolv_conf: Path) -> None:
    data = check(host="www", server=dns_server.address, search=False)

    assert data["response-code"] != "NOERROR"
    assert data["A"] == []


def test_missing_os_configuration_without_server_is_a_dns_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(dns_check, "RESOLV_CONF", str(tmp_path / "missing"))

    data = check(host=records.WWW)

    assert data["response-code"] == "DNSERROR"
    assert data["reason"] == "dns-error"
    assert "resolver configuration" in data["exception"]


def test_missing_os_configuration_does_not_matter_with_a_server(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(dns_check, "RESOLV_CONF", str(tmp_path / "missing"))

    data = check(host=records.WWW, server=dns_server.address)

    assert data["A"] == [records.WWW_A]


def test_spec_echo_names_the_server_nameserver() -> None:
    spec = dns_check.echo_spec(rule(host=records.WWW, server="10.0.0.10:53", name="r"))

    assert spec["nameserver"] == "10.0.0.10:53"
    assert "server" not in spec
    assert spec["host"] == records.WWW
    assert spec["timeout"] == 10.0
    assert spec["type"] == "dns"


def test_spec_echo_has_a_null_nameserver_for_the_os_resolver() -> None:
    spec = dns_check.echo_spec(rule(host=records.WWW))

    assert spec["nameserver"] is None
