"""The ``tcp`` check against real listeners, a refusing port and a blackhole."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from netchecks_core.rules import RULE_ADAPTER
from netchecks_probe.checks import tcp as tcp_check

from tools.probe_testing import passes, run_check
from tools.targets.dns import has_ipv6_loopback
from tools.targets.tcp import BANNER, BannerServer, Blackhole, ClosedPort, SilentServer

OLD_DEFAULT_RULE = "data.connected == true"


def check(**fields: Any) -> dict[str, Any]:
    """Run the check on ``fields`` (``deadline``: of the run, default 10 s)."""
    deadline = float(fields.pop("deadline", 10))
    return run_check(tcp_check, "tcp", deadline, **{"host": "127.0.0.1", **fields})


def test_open_port_is_connected_without_error(banner_server: BannerServer) -> None:
    data = check(port=banner_server.port)

    assert data == {"connected": True, "error": None}
    assert passes(tcp_check.DEFAULT_RULE, data)
    assert passes(OLD_DEFAULT_RULE, data)


def test_port_given_as_a_string_works(banner_server: BannerServer) -> None:
    # A port from a template arrives as text.
    data = check(port=str(banner_server.port))

    assert data["connected"] is True


def test_refused_port_is_not_connected_with_the_old_error_text(
    refusing_port: ClosedPort,
) -> None:
    data = check(port=refusing_port.port)

    assert data["connected"] is False
    assert data["error"] == f"Connection refused to 127.0.0.1:{refusing_port.port}"
    assert data["reason"] == "connection-refused"
    assert data["exception-type"] == "ConnectionRefusedError"
    assert not passes(tcp_check.DEFAULT_RULE, data)


def test_unanswered_connect_times_out_within_the_timeout(blackhole: Blackhole) -> None:
    started = time.monotonic()
    data = check(port=blackhole.port, timeout=0.3)

    assert time.monotonic() - started < 0.3 + 0.3
    assert data["connected"] is False
    assert data["error"] == "Connection timed out after 0.3s"
    assert data["reason"] == "timeout"
    assert not passes(tcp_check.DEFAULT_RULE, data)


def test_run_deadline_shorter_than_the_timeout_bounds_the_connect(blackhole: Blackhole) -> None:
    started = time.monotonic()
    data = check(deadline=0.3, port=blackhole.port, timeout=5)

    assert data["reason"] == "timeout"
    assert time.monotonic() - started < 0.3 + 0.3


def test_default_timeout_is_five_seconds() -> None:
    rule = RULE_ADAPTER.validate_python({"type": "tcp", "host": "h", "port": 1})

    assert rule.effective_timeout == 5


def test_expected_banner_is_read_and_matched(banner_server: BannerServer) -> None:
    data = check(port=banner_server.port, expect="SSH-2.0")

    assert data["connected"] is True
    assert data["error"] is None
    assert data["banner"] == BANNER.decode()
    assert "reason" not in data
    assert passes(tcp_check.DEFAULT_RULE, data)


def test_sent_text_gets_the_expected_reply(banner_server: BannerServer) -> None:
    data = check(port=banner_server.port, send="PING\r\n", expect="PONG")

    assert data["error"] is None
    assert data["banner"].endswith("PONG\r\n")


def test_banner_without_the_expected_text_is_a_mismatch(banner_server: BannerServer) -> None:
    started = time.monotonic()
    data = check(port=banner_server.port, expect="HTTP/1.1", timeout=0.3)

    assert time.monotonic() - started < 0.3 + 0.3
    assert data["connected"] is True
    assert data["reason"] == "banner-mismatch"
    assert data["banner"] == BANNER.decode()
    assert "HTTP/1.1" in data["error"]
    assert not passes(tcp_check.DEFAULT_RULE, data)
    assert passes("data.banner.startsWith('SSH-')", data)


def test_silent_server_with_an_expectation_is_connected_with_a_banner_timeout(
    silent_server: SilentServer,
) -> None:
    data = check(port=silent_server.port, expect="220 ", timeout=0.3)

    assert data["connected"] is True
    assert data["reason"] == "banner-timeout"
    assert data["banner"] == ""
    assert "220 " in data["error"]
    assert not passes(tcp_check.DEFAULT_RULE, data)


def test_send_without_expect_reads_nothing(silent_server: SilentServer) -> None:
    data = check(port=silent_server.port, send="hello\n")

    assert data == {"connected": True, "error": None}


def test_source_ip_of_this_host_is_used(banner_server: BannerServer) -> None:
    data = check(port=banner_server.port, **{"source-ip": "127.0.0.1"})

    assert data["connected"] is True


def test_source_ip_not_on_this_host_has_reason_source_ip_unavailable(
    banner_server: BannerServer,
) -> None:
    data = check(port=banner_server.port, **{"source-ip": "192.0.2.1"})

    assert data["connected"] is False
    assert data["reason"] == "source-ip-unavailable"


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_host_with_or_without_brackets(host: str) -> None:
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    with BannerServer(host="::1") as server:
        data = check(host=host, port=server.port, expect="SSH-")

    assert data["connected"] is True
    assert data["error"] is None


def test_host_name_is_resolved(banner_server: BannerServer) -> None:
    data = check(host="localhost", port=banner_server.port)

    assert data["connected"] is True


def test_a_name_resolution_that_hangs_is_bounded_by_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Name resolution has no timeout of its own: a name is resolved in a call thread
    # the check abandons at its deadline (an IP address is connected to directly).
    released = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hangs.invalid":
            released.wait(10)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    try:
        data = check(host="hangs.invalid", port=9, timeout=0.3)
    finally:
        released.set()

    assert time.monotonic() - started < 0.3 + 0.3
    assert data["connected"] is False
    assert data["reason"] == "timeout"


def test_silent_server_stays_connected_when_the_whole_check_overruns(
    silent_server: SilentServer,
) -> None:
    # The run's deadline ends the wait before the socket's own read timeout can fire:
    # what the worker saw (a connection) is still reported, not a failed connect.
    data = check(deadline=0.3, port=silent_server.port, expect="220 ", timeout=5)

    assert data["connected"] is True
    assert data["reason"] == "banner-timeout"
    assert not passes(tcp_check.DEFAULT_RULE, data)
