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


def test_base64_of_any_text_holding_the_secret_is_redacted_at_every_alignment() -> None:
    redactor = Redactor(secrets=[SECRET])
    for before in ("", "a", "ab", "abc", "user:"):
        encoded = base64.b64encode(f"{before}{SECRET}:tail".encode()).decode()
        assert "REDACTED" in redactor.text(f"Basic {encoded}"), before
        # Glued to other base64 text (no token boundary to decode from).
        assert "REDACTED" in redactor.text(f"xx{encoded}"), before


def test_any_url_quoting_of_the_secret_is_redacted() -> None:
    redactor = Redactor(secrets=[SECRET])
    for quoted in (
        "s3cr3t%2Fp%40ss%20word",  # quote(safe="")
        "s3cr3t/p@ss%20word",  # requests' requoting
        "s3cr3t%2Fp%40ss+word",  # quote_plus
        "s3cr3t/p%40ss%20word",  # quote(safe="/")
        "%73%33cr3t/p@ss word",  # anything else percent-decodes to it
    ):
        assert "s3cr3t" not in redactor.text(f"https://h/?a=1&t={quoted}&b=2"), quoted


def test_a_secret_cut_at_the_end_of_a_truncated_body_is_redacted() -> None:
    result = _result(body=f"token: {SECRET[:5]}", **{"body-truncated": True})
    redacted = Redactor(secrets=[SECRET]).result(result)
    assert redacted["data"]["body"] == "token: REDACTED"


def test_a_long_secret_start_before_an_ellipsis_is_redacted() -> None:
    text = Redactor(secrets=[SECRET]).text(f"bad value {SECRET[:9]}... (cut)")
    assert text == "bad value REDACTED... (cut)"


def test_short_prefixes_of_secrets_elsewhere_are_kept() -> None:
    redactor = Redactor(secrets=["password: hunter2-long\n"])
    assert redactor.text("pass") == "pass"


def test_redacting_a_large_body_takes_linear_time() -> None:
    # Without % or "..." in a megabyte, a backtracking pattern would take hours.
    text = "x" * 1_000_000 + "%41" + "y" * 1_000_000
    assert Redactor(secrets=[SECRET]).text(text) == text


def test_a_secret_quoted_by_python_repr_is_redacted() -> None:
    secret = "it's\tà secret"
    text = Redactor(secrets=[secret]).text(f"expected {secret!r} in the reply")
    assert text == 'expected "REDACTED" in the reply'
