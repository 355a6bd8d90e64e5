"""Rule and config validation: messages name the field path and the problem."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from netchecks_core.errors import describe_errors
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.validation import (
    check_unrendered_rule,
    parse_rule,
    rule_problems,
    schedule_problem,
    spec_problems,
    validate_config,
    validate_manifest,
)
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


def test_unknown_rule_field_is_an_error_with_a_did_you_mean() -> None:
    outcome = parse_rule({"type": "http", "url": "u", "validaton": "true"}, WHERE)
    assert outcome.rule is None
    assert outcome.errors == [f"{WHERE}.validaton: unknown field (did you mean 'validation'?)"]


def test_unknown_nested_field_is_an_error_with_a_did_you_mean() -> None:
    outcome = check_unrendered_rule({"type": "internal", "validate": {"patern": "true"}}, WHERE)
    assert outcome.errors == [f"{WHERE}.validate.patern: unknown field (did you mean 'pattern'?)"]


def test_unknown_field_holding_a_template_is_still_an_error() -> None:
    outcome = check_unrendered_rule({"type": "tcp", "host": "h", "port": 1, "prot": "{{ c }}"})
    assert outcome.errors == ["prot: unknown field (did you mean 'port'?)"]


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


@pytest.mark.parametrize(
    "schedule",
    [
        "*/5 * * * *",
        "0 0 ? * MON-FRI",
        "0 9-17/2 * * 1-5",
        "0 0 1 jan-mar sun",
        "5/10 * * * *",
        "@hourly",
        "@annually",
        "@every 1h30m",
        "@every 90s",
    ],
)
def test_schedules_kubernetes_accepts_are_accepted(schedule: str) -> None:
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("every 5 minutes", "expected 5 fields"),
        ("* * * * * *", "found 6"),
        ("61 * * * *", "the minute field '61' is out of range (0-59)"),
        ("0 24 * * *", "the hour field '24' is out of range (0-23)"),
        ("0 0 0 * *", "the day of month field '0' is out of range (1-31)"),
        ("0 0 * 13 *", "out of range (1-12)"),
        ("0 0 * * 7", "the day of week field '7' is out of range (0-6)"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "the minute field '*/0' is not valid"),
        ("0 0 L * *", "'L', which is not a number"),
        ("0 0 * * 1#2", "'1#2'"),
        ("H * * * *", "'H'"),
        ("0 0 * foo *", "one of JAN, FEB"),
        ("TZ=UTC 0 * * * *", "TZ= and CRON_TZ= are not allowed"),
        ("CRON_TZ=Europe/Paris 0 * * * *", "not allowed"),
        ("@often", "not a known macro"),
        ("@every five", "@every needs a duration"),
        (" @hourly", "expected 5 fields"),
    ],
)
def test_schedules_kubernetes_refuses_are_refused_with_the_reason(
    schedule: str, reason: str
) -> None:
    problem = schedule_problem(schedule)
    assert problem is not None and reason in problem, problem


def _problems(rule: Mapping[str, object], contexts: frozenset[str] = frozenset()) -> list[str]:
    return [str(p) for p in rule_problems(rule, "spec.rules[0]", contexts, (0,), named=True)]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"validation": "data.status_code == 200"},
            "spec.rules[0].validation: data.status_code is not a field of http results "
            "(did you mean data['status-code']?)",
        ),
        (
            {"validation": "data['status_code'] == 200"},
            "spec.rules[0].validation: data.status_code is not a field of http results",
        ),
        (
            {"validation": "nosuch(data.body)"},
            "spec.rules[0].validation: unknown function 'nosuch'",
        ),
        (
            {"validate": {"pattern": "data.body.lowerAscii() == 'x'"}},
            "spec.rules[0].validate.pattern: unknown function 'lowerAscii'",
        ),
        (
            {"validation": "cfgx.port == 1"},
            "spec.rules[0].validation: unknown name 'cfgx' (did you mean 'cfg'?)",
        ),
        ({"validation": "data.x =="}, "spec.rules[0].validation: invalid CEL"),
        (
            {"url": "http://{{ cfg.host /"},
            "spec.rules[0].url: unclosed '{{' (a template is '{{ expression }}')",
        ),
        (
            {"url": "http://{{ nope.host }}/"},
            "spec.rules[0].url: template '{{ nope.host }}': unknown name 'nope'",
        ),
        (
            {"name": "{{ cfg.name }}"},
            "spec.rules[0].name: a rule name is literal",
        ),
    ],
)
def test_rule_problems_name_the_field_path_and_the_cause(
    rule: dict[str, object], expected: str
) -> None:
    problems = _problems({"name": "r", "type": "http", "url": "http://h/", **rule}, CONTEXTS)
    assert any(p.startswith(expected) for p in problems), problems


CONTEXTS = frozenset({"cfg"})


def test_rule_reading_known_data_fields_and_contexts_is_valid() -> None:
    rule = {
        "name": "r",
        "type": "http",
        "url": "http://{{ cfg.host }}/",
        "validation": "data['status-code'] == 200 && has(data.body) && "
        "parse_json(data.body).v == cfg.v && data.headers.exists(h, h == 'a')",
    }
    assert _problems(rule, CONTEXTS) == []


def test_manifest_needs_netchecks_api_version_and_kind() -> None:
    report = validate_manifest(
        {
            "apiVersion": "kopf.dev/v1",
            "kind": "NetworkAssertion",
            "metadata": {"name": "a"},
            "spec": {"rules": [{"name": "r", "type": "internal"}]},
        }
    )
    assert [p.path for p in report.problems] == ["apiVersion"]


def test_unknown_spec_field_is_an_error_with_a_did_you_mean() -> None:
    problems = spec_problems({"rules": [{"name": "r", "type": "internal"}], "schedul": "@daily"})
    assert [str(p) for p in problems] == ["spec.schedul: unknown field (did you mean 'schedule'?)"]


def test_problems_of_a_rule_carry_its_index_and_others_none() -> None:
    spec = {
        "schedule": "61 * * * *",
        "rules": [
            {"name": "ok", "type": "internal"},
            {"name": "bad", "type": "internal", "validaton": "true"},
        ],
    }
    problems = spec_problems(spec)
    assert [(p.path, p.rule) for p in problems] == [
        ("spec.schedule", None),
        ("spec.rules[1].validaton", (1,)),
    ]


def test_config_rules_are_checked_with_their_assertion_and_rule_index() -> None:
    report = validate_config(
        {"assertions": [{"name": "a", "rules": [{"type": "internal"}, {"type": "tcp"}]}]}
    )
    assert report.rules == 2
    assert report.invalid_rules() == {(0, 1)}
    assert report.messages()[0].startswith("assertions[0].rules[1].host: is required")


def test_template_in_inline_context_may_use_only_earlier_contexts() -> None:
    spec = {
        "context": [
            {"name": "a", "inline": {"x": "{{ b.y }}"}},
            {"name": "b", "inline": {"y": "{{ a.x }}"}},
        ],
        "rules": [{"name": "r", "type": "internal"}],
    }
    assert [p.path for p in spec_problems(spec)] == ["spec.context[0].inline.x"]
