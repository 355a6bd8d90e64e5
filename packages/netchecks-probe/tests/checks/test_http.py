"""The ``http`` check against real HTTP and HTTPS servers (TLS with a throwaway CA)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from netchecks_core.cel import CelEvaluationError, evaluate
from netchecks_core.rules import RULE_ADAPTER
from netchecks_probe.checks import http as http_check

from tools.probe_testing import passes, run_check
from tools.targets.http import JSON_BODY, HttpServer
from tools.targets.tcp import Blackhole, ClosedPort, SilentServer
from tools.targets.tls import (
    CA_ORGANIZATION,
    EXPIRED_DAYS_AGO,
    GOOD_DAYS,
    WRONG_HOST,
    TestCertificates,
)


def check(**fields: Any) -> dict[str, Any]:
    """Run the check on ``fields`` (``deadline``: of the run, default 10 s)."""
    deadline = float(fields.pop("deadline", 10))
    return run_check(http_check, "http", deadline, **fields)


def trusted(certs: TestCertificates) -> dict[str, str]:
    return {"ca-bundle": str(certs.ca_file)}


# Plain HTTP: status, headers, body.


def test_json_endpoint_gives_status_headers_body_and_passes_the_default_rule(
    http_server: HttpServer,
) -> None:
    data = check(url=http_server.url("/json"))

    assert data["status-code"] == 200
    assert data["headers"]["Content-Type"] == "application/json"
    assert data["headers"]["X-Netchecks-Test"] == "yes"
    assert json.loads(data["body"]) == JSON_BODY
    assert data["body-truncated"] is False
    assert data["url"] == http_server.url("/json")
    assert data["redirects"] == []
    assert "tls" not in data
    assert "reason" not in data
    assert passes(http_check.DEFAULT_RULE, data)


def test_cel_rule_can_read_the_json_body(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/json"))

    assert passes("parse_json(data.body).version == '1.2.3'", data)
    assert not passes("parse_json(data.body).status == 'down'", data)


@pytest.mark.parametrize("code", [400, 403, 404, 500, 503])
def test_error_status_keeps_the_response_and_sets_reason_http_status(
    http_server: HttpServer, code: int
) -> None:
    data = check(url=http_server.url(f"/status/{code}"))

    assert data["status-code"] == code
    assert data["reason"] == "http-status"
    assert data["exception-type"] == "HTTPError"
    assert str(code) in data["exception"]
    assert data["body"] == f"status {code}\n"
    assert not passes(http_check.DEFAULT_RULE, data)


def test_created_status_passes_the_default_rule(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/status/201"))

    assert "reason" not in data
    assert passes(http_check.DEFAULT_RULE, data)


def test_method_headers_and_body_are_sent(http_server: HttpServer) -> None:
    data = check(
        url=http_server.url("/echo?x=1"),
        method="PUT",
        headers={"X-Token": "a:b:c", "User-Agent": "custom"},
        body='{"hello": "world"}',
    )

    echoed = json.loads(data["body"])
    assert echoed["method"] == "PUT"
    assert echoed["query"] == {"x": "1"}
    assert echoed["headers"]["X-Token"] == "a:b:c"
    assert echoed["headers"]["User-Agent"] == "custom"
    assert echoed["body"] == '{"hello": "world"}'


def test_default_user_agent_is_netchecks(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/echo"))

    assert json.loads(data["body"])["headers"]["User-Agent"] == http_check.USER_AGENT


def test_head_request_has_an_empty_body(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/json"), method="head")

    assert data["status-code"] == 200
    assert data["body"] == ""


def test_gzip_body_is_decoded(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/gzip"))

    assert json.loads(data["body"]) == JSON_BODY


# Redirects.


def test_redirects_are_followed_and_recorded(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/redirect/2"))

    assert data["status-code"] == 200
    assert data["url"] == http_server.url("/json")
    assert data["redirects"] == [
        {"status-code": 302, "url": http_server.url("/redirect/2")},
        {"status-code": 302, "url": http_server.url("/redirect/1")},
        {"status-code": 302, "url": http_server.url("/redirect/0")},
    ]


def test_follow_redirects_false_reports_the_redirect_itself(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/redirect/0"), **{"follow-redirects": False})

    assert data["status-code"] == 302
    assert data["headers"]["Location"] == "/json"
    assert "reason" not in data
    assert not passes(http_check.DEFAULT_RULE, data)


def test_redirect_loop_has_reason_too_many_redirects(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/redirect-loop"))

    assert data["reason"] == "too-many-redirects"
    assert "status-code" not in data


# Body size cap.


def test_body_larger_than_the_cap_is_truncated_and_says_so(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/bytes/5000"), **{"max-body-bytes": 1000})

    assert data["body"] == "x" * 1000
    assert data["body-truncated"] is True
    assert data["status-code"] == 200


def test_default_cap_is_one_mebibyte(http_server: HttpServer) -> None:
    data = check(url=http_server.url(f"/bytes/{1024 * 1024 + 10}"))

    assert len(data["body"]) == 1024 * 1024
    assert data["body-truncated"] is True


def test_body_exactly_at_the_cap_is_not_truncated(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/bytes/1000"), **{"max-body-bytes": 1000})

    assert len(data["body"]) == 1000
    assert data["body-truncated"] is False


# Time bounds.


def test_slow_answer_within_the_timeout_passes(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/slow?delay=0.2"), timeout=2)

    assert data["status-code"] == 200


def test_slow_answer_beyond_the_timeout_has_reason_timeout(http_server: HttpServer) -> None:
    started = time.monotonic()
    data = check(url=http_server.url("/slow?delay=5"), timeout=0.3)

    assert data["reason"] == "timeout"
    assert "status-code" not in data
    assert time.monotonic() - started < 0.3 + 0.3


def test_slowly_dripping_body_is_cut_at_the_timeout_with_what_arrived(
    http_server: HttpServer,
) -> None:
    started = time.monotonic()
    data = check(url=http_server.url("/drip?bytes=100&delay=0.05"), timeout=0.5)

    assert time.monotonic() - started < 0.5 + 0.3
    assert data["reason"] == "timeout"
    assert data["status-code"] == 200
    assert 0 < len(data["body"]) < 100
    assert set(data["body"]) == {"."}


def test_run_deadline_shorter_than_the_timeout_bounds_the_request(
    http_server: HttpServer,
) -> None:
    started = time.monotonic()
    data = check(deadline=0.3, url=http_server.url("/slow?delay=5"))

    assert data["reason"] == "timeout"
    assert time.monotonic() - started < 0.3 + 0.3


def test_default_timeout_is_thirty_seconds() -> None:
    rule = RULE_ADAPTER.validate_python({"type": "http", "url": "http://127.0.0.1/"})

    assert rule.effective_timeout == 30


# Connection failures.


def test_refused_connection_has_reason_connection_refused(refusing_port: ClosedPort) -> None:
    data = check(url=f"http://127.0.0.1:{refusing_port.port}/")

    assert data["reason"] == "connection-refused"
    assert data["exception-type"] == "ConnectionError"
    assert "status-code" not in data
    # As with the old probe, the default rule cannot hold without a status code.
    with pytest.raises(CelEvaluationError, match="no such key"):
        evaluate(http_check.DEFAULT_RULE, {"data": data})


def test_connect_timeout_has_reason_timeout(blackhole: Blackhole) -> None:
    started = time.monotonic()
    data = check(url=f"http://127.0.0.1:{blackhole.port}/", timeout=0.3)

    assert data["reason"] == "timeout"
    assert time.monotonic() - started < 0.3 + 0.3


def test_server_that_never_answers_has_reason_timeout(silent_server: SilentServer) -> None:
    data = check(url=f"http://127.0.0.1:{silent_server.port}/", timeout=0.3)

    assert data["reason"] == "timeout"
    assert data["exception-type"] == "ReadTimeout"


def test_connection_closed_without_answer_has_reason_connection_reset(
    http_server: HttpServer,
) -> None:
    data = check(url=http_server.url("/close"))

    assert data["reason"] == "connection-reset"


def test_url_without_scheme_is_an_invalid_target() -> None:
    data = check(url="api.example.com/version")

    assert data["reason"] == "invalid-target"
    assert data["exception-type"] == "MissingSchema"


def test_unsupported_scheme_is_an_invalid_target() -> None:
    data = check(url="ftp://127.0.0.1/file")

    assert data["reason"] == "invalid-target"


def test_source_ip_of_this_host_is_used(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/json"), **{"source-ip": "127.0.0.1"})

    assert data["status-code"] == 200


def test_source_ip_not_on_this_host_has_reason_source_ip_unavailable(
    http_server: HttpServer,
) -> None:
    data = check(url=http_server.url("/json"), **{"source-ip": "192.0.2.1"})

    assert data["reason"] == "source-ip-unavailable"


# TLS.


def test_https_with_the_ca_bundle_is_verified_and_reports_tls_facts(
    https_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(url=https_server.url("/json"), **trusted(test_certificates))

    assert data["status-code"] == 200
    facts = data["tls"]
    assert facts["verified"] is True
    assert facts["version"] in ("TLSv1.2", "TLSv1.3")
    assert facts["cipher"]
    cert = facts["certificate"]
    assert cert["common-name"] == "localhost"
    assert "CN=localhost" in cert["subject"]
    assert CA_ORGANIZATION in cert["issuer"]
    assert cert["sans"] == ["localhost", "127.0.0.1", "::1"]
    assert cert["days-remaining"] in (GOOD_DAYS - 1, GOOD_DAYS)
    assert cert["not-after"].endswith("+00:00")
    assert len(cert["sha256"]) == 64
    assert passes("data.tls.certificate['days-remaining'] > 30", data)


def test_https_not_trusted_by_the_system_has_reason_tls_verify_failed_with_facts(
    https_server: HttpServer,
) -> None:
    data = check(url=https_server.url("/json"))

    assert data["reason"] == "tls-verify-failed"
    assert "status-code" not in data
    assert data["tls"]["verified"] is False
    assert data["tls"]["certificate"]["common-name"] == "localhost"
    assert "certificate verify failed" in data["tls"]["verify-error"]


def test_expired_certificate_fails_verification_and_reports_negative_days(
    https_expired_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(url=https_expired_server.url("/json"), **trusted(test_certificates))

    assert data["reason"] == "tls-verify-failed"
    assert "expired" in data["exception"]
    cert = data["tls"]["certificate"]
    assert cert["days-remaining"] in (-EXPIRED_DAYS_AGO - 1, -EXPIRED_DAYS_AGO)
    assert passes("data.tls.certificate['days-remaining'] < 0", data)


def test_wrong_host_certificate_fails_verification_and_shows_its_names(
    https_wrong_host_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(url=https_wrong_host_server.url("/json"), **trusted(test_certificates))

    assert data["reason"] == "tls-verify-failed"
    assert "127.0.0.1" in data["exception"]
    assert data["tls"]["certificate"]["sans"] == [WRONG_HOST]


def test_verify_tls_cert_false_accepts_an_expired_certificate_and_still_reports_it(
    https_expired_server: HttpServer,
) -> None:
    data = check(url=https_expired_server.url("/json"), **{"verify-tls-cert": False})

    assert data["status-code"] == 200
    assert data["tls"]["verified"] is False
    assert data["tls"]["certificate"]["days-remaining"] < 0


def test_server_requiring_a_client_certificate_refuses_a_client_without_one(
    https_mtls_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(url=https_mtls_server.url("/json"), **trusted(test_certificates))

    assert data["reason"] == "tls-error"
    assert "status-code" not in data
    # The server's own certificate is still reported.
    assert data["tls"]["certificate"]["common-name"] == "localhost"


def test_client_certificate_and_key_are_presented(
    https_mtls_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(
        url=https_mtls_server.url("/json"),
        **trusted(test_certificates),
        **{
            "client-cert": str(test_certificates.client_cert_file),
            "client-key": str(test_certificates.client_key_file),
        },
    )

    assert data["status-code"] == 200
    assert data["tls"]["verified"] is True


def test_client_certificate_and_key_in_one_file_are_presented(
    https_mtls_server: HttpServer, test_certificates: TestCertificates
) -> None:
    data = check(
        url=https_mtls_server.url("/json"),
        **trusted(test_certificates),
        **{"client-cert": str(test_certificates.client_combined_file)},
    )

    assert data["status-code"] == 200


def test_missing_ca_bundle_file_has_reason_tls_config_invalid(
    https_server: HttpServer, tmp_path: Any
) -> None:
    missing = tmp_path / "missing-ca.pem"
    data = check(url=https_server.url("/json"), **{"ca-bundle": str(missing)})

    assert data["reason"] == "tls-config-invalid"
    assert str(missing) in data["exception"]


def test_https_redirect_to_plain_http_reports_no_tls(
    https_server: HttpServer, http_server: HttpServer, test_certificates: TestCertificates
) -> None:
    target = http_server.url("/json")
    data = check(url=https_server.url(f"/redirect-to?url={target}"), **trusted(test_certificates))

    assert data["status-code"] == 200
    assert data["url"] == target
    assert "tls" not in data


def test_ipv6_literal_url() -> None:
    from tools.targets.dns import has_ipv6_loopback

    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    with HttpServer(host="::1") as server:
        data = check(url=server.url("/json"))

    assert data["status-code"] == 200
    assert data["url"].startswith("http://[::1]:")


def test_a_garbage_ca_bundle_is_the_rules_mistake_not_a_handshake_failure(
    https_server: HttpServer, tmp_path: Any
) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    data = check(url=https_server.url("/json"), **{"ca-bundle": str(garbage)})

    assert data["reason"] == "tls-config-invalid"
    assert str(garbage) in data["exception"]
    assert "status-code" not in data


# The environment's proxy settings, read once per origin but never stale.


def test_proxy_settings_of_the_environment_apply_as_they_change(
    http_server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ClosedPort() as closed:
        url = f"http://127.0.0.1:{closed.port}/json"  # refused, unless a proxy forwards it
        for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        assert check(url=url)["reason"] == "connection-refused"

        monkeypatch.setenv("HTTP_PROXY", http_server.base_url)  # the test server answers
        assert check(url=url)["status-code"] == 200

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert check(url=url)["reason"] == "connection-refused"

    monkeypatch.setenv("NO_PROXY", "127.0.0.0/8")  # a CIDR block bypasses the proxy too
    assert check(url=url)["reason"] == "connection-refused"


def test_credentials_in_the_proxy_url_are_sent_to_the_proxy(
    http_server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", http_server.base_url.replace("://", "://px:s%3Acret@"))

    with ClosedPort() as closed:  # refused, unless the proxy (the test server) answers
        data = check(url=f"http://127.0.0.1:{closed.port}/echo")

    headers = json.loads(data["body"])["headers"]
    expected = "Basic " + base64.b64encode(b"px:s:cret").decode()
    assert headers["Proxy-Authorization"] == expected


def test_https_goes_through_the_environments_proxy_in_a_tunnel(
    https_server: HttpServer,
    http_server: HttpServer,
    test_certificates: TestCertificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", http_server.base_url)
    tunnels = http_server.tunnels

    data = check(url=https_server.url("/json"), **trusted(test_certificates))

    assert data["status-code"] == 200
    assert data["tls"]["verified"] is True
    assert http_server.tunnels == tunnels + 1


# What the old probe's client (requests) did, kept: credentials, redirects, cookies.


def echoed(data: dict[str, Any]) -> dict[str, Any]:
    """The request the ``/echo`` endpoint saw."""
    assert data["status-code"] == 200, data
    echo: dict[str, Any] = json.loads(data["body"])
    return echo


def test_default_headers_are_those_of_the_old_probe(http_server: HttpServer) -> None:
    echo = echoed(check(url=http_server.url("/echo"), headers={"accept": "text/plain"}))
    headers = {name.lower(): value for name, value in echo["headers"].items()}

    assert headers["accept"] == "text/plain"  # the rule's, whatever its case
    assert "gzip" in headers["accept-encoding"]
    assert headers["connection"] == "keep-alive"
    assert headers["user-agent"] == http_check.USER_AGENT


def test_credentials_in_the_url_are_sent_as_basic_auth(http_server: HttpServer) -> None:
    url = http_server.url("/echo").replace("://", "://alice:p%40ss@")

    headers = echoed(check(url=url))["headers"]

    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:p@ss").decode()


def test_netrc_gives_credentials_and_the_rules_own_authorization_header_wins(
    http_server: HttpServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    from_netrc = echoed(check(url=http_server.url("/echo")))["headers"]
    own = echoed(check(url=http_server.url("/echo"), headers={"authorization": "Bearer t"}))

    assert from_netrc["Authorization"] == "Basic " + base64.b64encode(b"bob:s3cret").decode()
    assert own["headers"]["authorization"] == "Bearer t"  # sent as the rule spells it


def test_post_redirected_with_302_arrives_as_a_get_without_its_body(
    http_server: HttpServer,
) -> None:
    url = http_server.url("/redirect-to?url=/echo")

    echo = echoed(check(url=url, method="post", body="payload", headers={"Content-Type": "a/b"}))

    assert echo["method"] == "GET"
    assert echo["body"] == ""
    assert "Content-Type" not in echo["headers"]


def test_post_redirected_with_307_keeps_its_method_and_body(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/redirect-to?url=/echo&status=307"), method="post", body="x")

    echo = echoed(data)
    assert echo["method"] == "POST"
    assert echo["body"] == "x"
    assert data["redirects"] == [
        {"status-code": 307, "url": http_server.url("/redirect-to?url=/echo&status=307")}
    ]


def test_authorization_is_dropped_when_a_redirect_leaves_the_host(
    http_server: HttpServer,
) -> None:
    elsewhere = http_server.url("/echo").replace("127.0.0.1", "localhost")
    auth = {"Authorization": "Bearer t"}

    same_host = echoed(check(url=http_server.url("/redirect-to?url=/echo"), headers=auth))
    other_host = echoed(check(url=http_server.url(f"/redirect-to?url={elsewhere}"), headers=auth))

    assert same_host["headers"]["Authorization"] == "Bearer t"
    assert "Authorization" not in other_host["headers"]


def test_a_cookie_set_by_a_redirect_is_sent_to_the_next_hop(http_server: HttpServer) -> None:
    url = http_server.url("/redirect-to?url=/echo&cookie=session%3Dabc%3B%20Path%3D%2F")

    assert echoed(check(url=url))["headers"]["Cookie"] == "session=abc"


def test_a_header_value_with_a_line_break_is_an_invalid_target(http_server: HttpServer) -> None:
    data = check(url=http_server.url("/echo"), headers={"X-Bad": "a\r\nInjected: 1"})

    assert data["reason"] == "invalid-target"
    assert data["exception-type"] == "InvalidHeader"
    assert "status-code" not in data


def test_connection_failures_name_the_connection_not_its_timing_subclass(
    refusing_port: ClosedPort,
) -> None:
    data = check(url=f"http://127.0.0.1:{refusing_port.port}/")

    connection = f"HTTPConnection(host='127.0.0.1', port={refusing_port.port})"
    assert data["exception"].startswith(connection)
