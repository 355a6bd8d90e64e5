"""Redaction: compat.md fields, and Secret-context values wherever they appear."""

from __future__ import annotations

import base64

from netchecks_probe.redact import Redactor

SECRET = "s3cr3t/p@ss word"


def _result(**data: object) -> dict[str, object]:
    return {
        "name": "r",
        "spec": {"type": "http", "url": "u", "headers": {"A": "b"}},
        "data": dict(data),
        "status": "fail",
    }


def test_known_sensitive_fields_become_redacted() -> None:
    result = Redactor().result(_result(headers={"Set-Cookie": "x"}, password="pw", body="fine"))
    assert result["spec"]["headers"] == "REDACTED"
    assert result["data"]["headers"] == "REDACTED"
    assert result["data"]["password"] == "REDACTED"
    assert result["data"]["body"] == "fine"


def test_secret_values_are_replaced_in_every_string_and_encoding() -> None:
    quoted = "s3cr3t%2Fp%40ss%20word"
    encoded = base64.b64encode(SECRET.encode()).decode()
    result = _result(body=f"echo: {SECRET}", url=f"https://x/?t={quoted}", note=f"b64 {encoded}")
    result["message"] = f"connection failed for {SECRET}"
    result["spec"] = {"url": f"https://user:{SECRET}@host/", SECRET: "as a key"}
    redacted = Redactor(secrets=[SECRET]).result(result)
    text = repr(redacted)
    assert SECRET not in text and quoted not in text and encoded not in text
    assert redacted["data"]["body"] == "echo: REDACTED"
    assert redacted["message"] == "connection failed for REDACTED"
    assert redacted["spec"] == {"url": "https://user:REDACTED@host/", "REDACTED": "as a key"}


def test_secret_file_values_with_trailing_newline_are_found_without_it() -> None:
    redacted = Redactor(secrets=["token-value\n"]).result(_result(body="Bearer token-value"))
    assert redacted["data"]["body"] == "Bearer REDACTED"


def test_very_short_secret_values_are_not_searched_for() -> None:
    redacted = Redactor(secrets=["ab"]).result(_result(body="a cab"))
    assert redacted["data"]["body"] == "a cab"


def test_disabled_redaction_keeps_everything() -> None:
    result = _result(password="pw", body=SECRET)
    assert Redactor(enabled=False, secrets=[SECRET]).result(result) == result


def test_status_is_never_touched() -> None:
    assert Redactor(secrets=["fail"]).result(_result())["status"] == "fail"
