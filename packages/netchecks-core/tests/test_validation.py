"""Rule and config validation: messages name the field path and the problem."""

from __future__ import annotations

import pytest
from netchecks_core.errors import describe_errors
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.validation import check_unrendered_rule, parse_rule
from pydantic import ValidationError

WHERE = "assertions[0].rules[0]"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "tcp", "host": "x"}, f"{WHERE}.port: is required"),
        ({"type": "nope"}, f"{WHERE}: unknown type 'nope'"),
        ({"host": "x"}, f"{WHERE}: needs a 'type' field"),
        (
            {"type": "tcp", "host": "x", "port": "abc"},
            f"{WHERE}.port: Input should be a valid integer",
        ),
        ({"type": "tcp", "host": "x", "port": 70000}, f"{WHERE}.port: Input should be less than"),
        ({"type": "dns", "host": "x", "record-type": "ZZ"}, f"{WHERE}.record-type: must be one of"),
        ({"type": "http", "url": "u", "method": "fetch"}, f"{WHERE}.method: must be one of"),
        ({"type": "http", "url": "u", "expected": "maybe"}, f"{WHERE}.expected: Input should be"),
        ([1], f"{WHERE}: must be an object, got a list"),
    ],
)
def test_rule_errors_name_the_field_and_problem(raw: object, message: str) -> None:
    outcome = parse_rule(raw, WHERE)
    assert outcome.rule is None
    assert any(error.startswith(message) for error in outcome.errors), outcome.errors


def test_unknown_fields_are_kept_and_reported_as_warnings() -> None:
    outcome = parse_rule({"type": "http", "url": "u", "colour": "blue"}, WHERE)
    assert outcome.rule is not None
    assert outcome.rule.model_extra == {"colour": "blue"}
    assert outcome.warnings == [f"{WHERE}.colour: unknown field (kept, not used)"]


def test_templated_values_are_not_judged_before_rendering() -> None:
    outcome = check_unrendered_rule({"type": "tcp", "host": "x", "port": "{{ c.port }}"}, WHERE)
    assert outcome.errors == []


def test_old_style_expected_null_means_pass() -> None:
    outcome = parse_rule({"type": "internal", "expected": None})
    assert outcome.rule is not None
    assert outcome.rule.expected == "pass"


def test_pattern_comes_from_validation_then_validate_pattern() -> None:
    both = parse_rule({"type": "internal", "validation": "a", "validate": {"pattern": "b"}})
    only_validate = parse_rule({"type": "internal", "validate": {"pattern": "b", "message": "m"}})
    assert both.rule is not None and both.rule.pattern == "a"
    assert only_validate.rule is not None and only_validate.rule.pattern == "b"
    assert only_validate.rule.message == "m"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"assertions": [], "contexts": [{"name": "data", "type": "inline"}]},
            "contexts[0].name: context name 'data' is reserved",
        ),
        (
            {"assertions": [], "contexts": [{"name": "spec", "type": "inline"}]},
            "contexts[0].name: context name 'spec' is reserved",
        ),
        (
            {
                "assertions": [],
                "contexts": [{"name": "x", "type": "inline"}, {"name": "x", "type": "inline"}],
            },
            "context name 'x' is used twice",
        ),
        ({}, "assertions: is required"),
        (
            {"assertions": [], "contexts": [{"name": "f", "type": "file"}]},
            "contexts[0].path: is required",
        ),
        (
            {"assertions": [], "contexts": [{"name": "f", "type": "ftp"}]},
            "contexts[0]: unknown type 'ftp'",
        ),
    ],
)
def test_config_errors_name_the_field(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProbeConfig.model_validate(config)
    assert any(message in line for line in describe_errors(caught.value))
