"""Mapping socket-layer errors, however deeply wrapped, to the fixed reasons.

Most reasons are produced by real servers in the check tests; the ones that need a
network this machine must not touch (unreachable hosts, failed name resolution) are
checked here on the exceptions the socket layer raises.
"""

from __future__ import annotations

import errno
import socket
import ssl

import pytest
from netchecks_core.reasons import REASONS
from netchecks_probe.checks.failures import exception_chain, failure, reason_for


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.EHOSTUNREACH, "No route to host"), "host-unreachable"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "host-unreachable"),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), "source-ip-unavailable"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "name-resolution-failed"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection-refused"),
        (ConnectionResetError(errno.ECONNRESET, "reset"), "connection-reset"),
        (BrokenPipeError(errno.EPIPE, "broken pipe"), "connection-reset"),
        (TimeoutError("timed out"), "timeout"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "tls-verify-failed"),
        (ssl.SSLError(1, "handshake failure"), "tls-error"),
        (ValueError("something else"), "error"),
    ],
)
def test_socket_errors_map_to_their_reason(error: BaseException, reason: str) -> None:
    assert reason_for(error) == reason
    assert reason in REASONS


def test_reason_is_found_through_causes_contexts_reasons_and_arguments() -> None:
    class WrapperError(Exception):
        def __init__(self, message: str, reason: BaseException | None = None) -> None:
            super().__init__(message)
            self.reason = reason

    root = OSError(errno.EHOSTUNREACH, "No route to host")
    by_reason = WrapperError("max retries", reason=root)
    by_argument = WrapperError("connection error", None)
    by_argument.args = (by_reason,)
    try:
        try:
            raise by_argument
        except WrapperError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as outer:
        assert reason_for(outer) == "host-unreachable"
        assert root in list(exception_chain(outer))


def test_exception_chain_survives_cycles() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first

    assert list(exception_chain(first)) == [first, second]


def test_failure_names_the_exception() -> None:
    data = failure("timeout", TimeoutError("timed out"))

    assert data == {"reason": "timeout", "exception-type": "TimeoutError", "exception": "timed out"}


def test_failure_without_exception_names_the_reason() -> None:
    data = failure("banner-mismatch", message="expected 'x'")

    assert data == {
        "reason": "banner-mismatch",
        "exception-type": "BannerMismatch",
        "exception": "expected 'x'",
    }


def test_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reason"):
        failure("no-such-reason")
