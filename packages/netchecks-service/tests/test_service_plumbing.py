"""Settings, JSON logs and the health/metrics app of the service plumbing."""

from __future__ import annotations

import io
import json
import logging
import sys

import httpx
import pytest
from netchecks_service.errors import (
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    SettingsError,
    TransientError,
    error_from_response,
)
from netchecks_service.health import Health, HttpServer, create_app, parse_http_addr
from netchecks_service.logs import KEYS, ServiceJsonFormatter, StderrHandler, object_context
from netchecks_service.settings import ServiceSettings, load_settings
from netchecks_service.telemetry import setup_metrics
from opentelemetry import metrics
from pydantic import AliasChoices, Field


def test_settings_read_the_environment_and_split_namespaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETCHECKS_NAMESPACES", "a, b,,c")
    monkeypatch.setenv("NETCHECKS_HTTP_ADDR", "127.0.0.1:9000")
    settings = load_settings(ServiceSettings)
    assert settings.namespaces == ["a", "b", "c"]
    assert settings.http_addr == "127.0.0.1:9000"


def test_bad_settings_name_the_variable_and_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCHECKS_HTTP_ADDR", "nowhere")
    monkeypatch.setenv("NETCHECKS_LEASE_DURATION", "abc")
    with pytest.raises(SettingsError) as caught:
        load_settings(ServiceSettings)
    message = str(caught.value)
    assert "NETCHECKS_HTTP_ADDR" in message and "HOST:PORT" in message
    assert "NETCHECKS_LEASE_DURATION" in message


class _AliasedSettings(ServiceSettings):
    level: int = Field(default=1, validation_alias=AliasChoices("NETCHECKS_LEVEL", "LEVEL"))


@pytest.mark.parametrize("variable", ["NETCHECKS_LEVEL", "LEVEL"])
def test_a_bad_aliased_setting_names_a_variable_that_sets_it(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "abc")
    with pytest.raises(SettingsError) as caught:
        load_settings(_AliasedSettings)
    named = str(caught.value).removeprefix("invalid settings: ").split(": ")[0]
    assert named in ("NETCHECKS_LEVEL", "LEVEL"), "a variable that sets it, not a made-up one"


def test_http_addr_parsing() -> None:
    assert parse_http_addr("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert parse_http_addr("[::]:9") == ("::", 9)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_http_addr("8080x")


def test_api_errors_map_to_their_kinds_with_retry_after() -> None:
    status = {
        "kind": "Status",
        "code": 429,
        "reason": "TooManyRequests",
        "message": "slow down",
        "details": {"retryAfterSeconds": 3},
    }
    error = error_from_response(429, json.dumps(status))
    assert isinstance(error, TransientError) and error.retry_after == 3.0
    assert "slow down" in str(error)
    assert isinstance(error_from_response(404, b"{}"), NotFoundError)
    assert isinstance(error_from_response(409, b"not json"), ConflictError)
    assert isinstance(error_from_response(410, b""), GoneError)
    assert isinstance(error_from_response(422, b""), InvalidError)
    assert isinstance(error_from_response(503, b"", {"Retry-After": "2"}), TransientError)


def test_writes_too_large_to_store_are_invalid_not_transient() -> None:
    """413 (body over 3 MiB) and etcd's 500 "request is too large" fail on every retry."""
    too_large = {"kind": "Status", "code": 413, "reason": "RequestEntityTooLarge"}
    assert isinstance(error_from_response(413, json.dumps(too_large)), InvalidError)
    etcd = {"kind": "Status", "code": 500, "message": "etcdserver: request is too large"}
    error = error_from_response(500, json.dumps(etcd))
    assert isinstance(error, InvalidError) and "request is too large" in str(error)
    assert isinstance(error_from_response(500, b'{"message": "boom"}'), TransientError)


def test_json_log_lines_carry_the_object_namespace_and_name() -> None:
    formatter = ServiceJsonFormatter("%(message)s")
    record = logging.LogRecord("x.y", logging.INFO, __file__, 1, "made %s", ("cm",), None)
    with object_context("ns1", "a1"):
        line = json.loads(formatter.format(record))
    assert line["message"] == "made cm"
    assert (line["namespace"], line["name"], line["logger"], line["level"]) == (
        "ns1",
        "a1",
        "x.y",
        "INFO",
    )
    outside = json.loads(formatter.format(record))
    assert outside["namespace"] is None and outside["name"] is None


def test_log_lines_go_to_the_stderr_of_the_moment_even_after_the_old_one_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker thread logging after a test's captured stderr closed must not fail.
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = StderrHandler()
    handler.setFormatter(ServiceJsonFormatter("%(message)s"))
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "late line", (), None)
    monkeypatch.setattr(sys, "stderr", second)
    first.close()

    handler.emit(record)

    assert json.loads(second.getvalue())["message"] == "late line"


def test_json_log_lines_have_fixed_keys_millisecond_utc_times_and_no_terminal_escapes() -> None:
    formatter = ServiceJsonFormatter("%(message)s")
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started \x1b[1mserver\x1b[0m %s", ("7",), None
    )
    record.created = 1748779200.1234
    record.color_message = "Started \x1b[36mserver\x1b[0m %s"  # as uvicorn sets it
    try:
        raise ValueError("bad \x1b[31mthing\x1b[0m\nsecond line")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    line = formatter.format(record)
    error_line = formatter.format(failed)

    assert json.loads(line) == {
        "time": "2025-06-01T12:00:00.123Z",
        "level": "INFO",
        "logger": "uvicorn.error",
        "message": "Started server 7",
        "namespace": None,
        "name": None,
    }
    assert "\n" not in error_line and "\\u001b" not in error_line
    error = json.loads(error_line)
    assert set(error) == {*KEYS, "exc_info"}
    assert "ValueError: bad thing" in error["exc_info"]


def test_health_endpoints_follow_their_checks_and_metrics_show_instruments() -> None:
    setup_metrics("test", "0")
    counter = metrics.get_meter("test.plumbing").create_counter("netchecks.test.things")
    counter.add(2, {"kind": "x"})
    health = Health()
    state = {"synced": False}
    health.add_ready("synced", lambda: state["synced"])
    health.add_live("loop", lambda: True)
    server = HttpServer(create_app(health), "127.0.0.1:0").start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, timeout=5) as http:
            assert http.get("/livez").status_code == 200
            not_ready = http.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json()["failing"] == ["synced"]
            state["synced"] = True
            assert http.get("/readyz").status_code == 200
            body = http.get("/metrics").text
            assert 'netchecks_test_things_total{kind="x"' in body
    finally:
        server.stop()
