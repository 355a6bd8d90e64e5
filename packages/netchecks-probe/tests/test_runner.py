"""The runner: concurrency, order, timeouts, deadlines, retries, verdicts, one bad rule."""

from __future__ import annotations

import datetime
import itertools
import sys
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import pytest
from netchecks_core.runnable import RunnableInternal, RunnableRule, runnable_config, runnable_rule
from netchecks_probe import checks, runner
from netchecks_probe.runner import RunOptions, run_config

FAKE = "netchecks_probe_tests_fake_check"


def _fake_run(rule: Any, deadline: Any) -> Any:
    """A stand-in check driven by the rule's extra fields (tests only)."""
    extra = rule.knobs
    behaviour = extra.get("behaviour", "ok")
    if behaviour == "sleep":
        time.sleep(float(extra["seconds"]))
    elif behaviour == "hang":
        threading.Event().wait(30)  # ignores its deadline on purpose
    elif behaviour == "crash":
        raise RuntimeError("boom in the check")
    elif behaviour == "not-a-dict":
        return ["nope"]
    elif behaviour == "flaky":
        counter = _FLAKY.setdefault(extra["key"], [0])
        counter[0] += 1
        return {"ok": counter[0] > int(extra["failures"])}
    return {"ok": True, "remaining": deadline.remaining()}


_FLAKY: dict[str, list[int]] = {}


#: The fake check's knobs: extra fields of its rules, which real rules refuse.
_KNOBS = ("behaviour", "seconds", "key", "failures")


@dataclass(frozen=True, kw_only=True)
class _FakeRule(RunnableInternal):
    """An internal rule carrying the fake check's knobs (tests only)."""

    knobs: dict[str, Any] = field(default_factory=dict)


def _fake_runnable(
    template: Any, rendered: Any, where: str = ""
) -> tuple[RunnableRule | None, list[str]]:
    if not (isinstance(rendered, dict) and rendered.get("type") == "internal"):
        return runnable_rule(template, rendered, where)
    knobs = {k: v for k, v in rendered.items() if k in _KNOBS}
    plain = {k: v for k, v in rendered.items() if k not in _KNOBS}
    rule, errors = runnable_rule(template, plain, where)
    if rule is None:
        return None, errors
    values = {f.name: getattr(rule, f.name) for f in fields(rule)}
    return _FakeRule(**values, knobs=knobs), []


@pytest.fixture
def fake_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rules of type ``internal`` run the fake check above (default rule: ``data.ok``).

    Its knobs are extra fields of the rule, which real rules refuse, so the runner
    parses internal rules with a model that keeps them.
    """
    module = types.ModuleType(FAKE)
    module.DEFAULT_RULE = "data.ok == true"  # type: ignore[attr-defined]
    module.run = _fake_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, FAKE, module)
    monkeypatch.setitem(checks.CHECK_MODULES, "internal", FAKE)
    monkeypatch.setattr(runner, "runnable_rule", _fake_runnable)
    yield


def _run(rules: list[dict[str, Any]], contexts: Any = (), **options: Any) -> list[dict[str, Any]]:
    config = runnable_config(
        {"assertions": [{"name": "a", "rules": rules}], "contexts": list(contexts)}
    )
    output = run_config(config, RunOptions(**options))
    return list(output["assertions"][0]["results"])


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


@pytest.mark.usefixtures("fake_check")
def test_rules_run_concurrently_and_results_keep_config_order() -> None:
    rules = [
        {"name": f"r{i}", "type": "internal", "behaviour": "sleep", "seconds": 0.3 - i * 0.05}
        for i in range(5)
    ]
    results = _run(rules, parallelism=5)
    assert [r["name"] for r in results] == ["r0", "r1", "r2", "r3", "r4"]
    starts = [_time(r["data"]["startTimestamp"]) for r in results]
    ends = [_time(r["data"]["endTimestamp"]) for r in results]
    assert max(starts) < min(ends), "every rule started before any finished"


@pytest.mark.usefixtures("fake_check")
def test_parallelism_one_runs_rules_one_after_another() -> None:
    rules = [
        {"name": f"r{i}", "type": "internal", "behaviour": "sleep", "seconds": 0.05}
        for i in range(3)
    ]
    results = _run(rules, parallelism=1)
    for earlier, later in itertools.pairwise(results):
        assert _time(earlier["data"]["endTimestamp"]) <= _time(later["data"]["startTimestamp"])


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("fake_check")
def test_a_check_that_overruns_its_timeout_is_abandoned_as_a_timeout() -> None:
    started = time.monotonic()
    results = _run(
        [
            {"name": "stuck", "type": "internal", "behaviour": "hang", "timeout": 0.2},
            {"name": "fine", "type": "internal"},
        ]
    )
    assert time.monotonic() - started < 10
    stuck, fine = results
    assert stuck["status"] == "fail"
    assert stuck["data"]["reason"] == "timeout"
    assert "within its timeout of 0.2 s" in stuck["data"]["exception"]
    assert fine["status"] == "pass"


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("fake_check")
def test_an_expected_fail_rule_that_times_out_passes() -> None:
    results = _run([{"type": "internal", "behaviour": "hang", "timeout": 0.2, "expected": "fail"}])
    assert results[0]["status"] == "pass"


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("fake_check")
def test_the_run_deadline_bounds_every_rule() -> None:
    rules: list[dict[str, Any]] = [
        {"name": "stuck", "type": "internal", "behaviour": "hang", "timeout": 60},
        {"name": "queued", "type": "internal"},
    ]
    results = _run(rules, parallelism=1, run_timeout=0.5)
    stuck, queued = results
    assert stuck["status"] == "error"
    assert stuck["data"]["reason"] == "deadline"
    assert "the run's deadline" in stuck["data"]["exception"]
    assert queued["status"] == "error"
    assert queued["data"]["reason"] == "deadline"
    assert "deadline" in queued["message"]


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("fake_check")
def test_a_rule_cut_by_the_run_deadline_is_an_error_even_when_expected_to_fail() -> None:
    rule = {"type": "internal", "behaviour": "hang", "timeout": 60, "expected": "fail"}
    results = _run([rule], run_timeout=0.3)
    assert results[0]["status"] == "error"
    assert results[0]["data"]["reason"] == "deadline"


@pytest.mark.usefixtures("fake_check")
def test_a_crashing_check_gives_that_rule_an_error_and_the_others_run() -> None:
    results = _run(
        [
            {"name": "bad", "type": "internal", "behaviour": "crash"},
            {"name": "good", "type": "internal"},
        ]
    )
    assert results[0]["status"] == "error"
    assert results[0]["message"] == "the internal check crashed: RuntimeError: boom in the check"
    assert "startTimestamp" in results[0]["data"]
    assert results[1]["status"] == "pass"


@pytest.mark.usefixtures("fake_check")
def test_a_check_returning_no_dict_is_an_error() -> None:
    results = _run([{"type": "internal", "behaviour": "not-a-dict"}])
    assert results[0]["status"] == "error"
    assert "returned no data" in results[0]["message"]


@pytest.mark.usefixtures("fake_check")
def test_retries_repeat_a_failing_check_and_record_attempts() -> None:
    rule = {
        "type": "internal",
        "behaviour": "flaky",
        "key": "retry-ok",
        "failures": 2,
        "retries": 3,
        "retry-delay": 0.01,
    }
    results = _run([rule])
    assert results[0]["status"] == "pass"
    assert results[0]["data"]["attempts"] == 3


@pytest.mark.usefixtures("fake_check")
def test_retries_stop_when_exhausted() -> None:
    rule = {
        "type": "internal",
        "behaviour": "flaky",
        "key": "retry-bad",
        "failures": 5,
        "retries": 1,
        "retry-delay": 0.01,
    }
    results = _run([rule])
    assert results[0]["status"] == "fail"
    assert results[0]["data"]["attempts"] == 2


@pytest.mark.usefixtures("fake_check")
def test_the_check_gets_a_deadline_of_its_timeout() -> None:
    results = _run([{"type": "internal", "timeout": 3}])
    assert 2 < results[0]["data"]["remaining"] <= 3


@pytest.mark.usefixtures("fake_check")
def test_spec_echoes_the_rule_with_type_and_default_pattern() -> None:
    results = _run([{"name": "r", "type": "internal", "timeout": 2}])
    spec = results[0]["spec"]
    assert spec["type"] == "internal"
    assert spec["pattern"] == "data.ok == true"
    assert spec["timeout"] == 2


def test_expected_fail_inverts_the_verdict() -> None:
    results = _run(
        [
            {"type": "internal", "validation": "false", "expected": "fail"},
            {"type": "internal", "validation": "true", "expected": "fail"},
        ]
    )
    assert [r["status"] for r in results] == ["pass", "fail"]
    assert results[1]["message"] == "the check succeeded but was expected to fail"


def test_a_rule_that_cannot_be_evaluated_is_an_error_naming_the_key() -> None:
    results = _run([{"type": "internal", "validation": "data.nothing == 1"}])
    assert results[0]["status"] == "error"
    assert "data has no key 'nothing'" in results[0]["message"]


def test_a_rule_that_is_not_boolean_is_an_error_and_says_so() -> None:
    results = _run([{"type": "internal", "validation": "'yes'", "expected": "fail"}])
    assert results[0]["status"] == "error"
    assert "not true or false" in results[0]["message"]


def test_cel_scope_has_data_spec_name_and_contexts() -> None:
    contexts = [{"name": "cfg", "type": "inline", "data": {"want": "r1"}}]
    rule = {
        "name": "r1",
        "type": "internal",
        "validate": {"pattern": "name == cfg.want && spec.type == 'internal' && size(data) == 2"},
    }
    assert _run([rule], contexts)[0]["status"] == "pass"


def test_validate_message_is_the_results_message() -> None:
    rule = {"type": "internal", "validate": {"pattern": "false", "message": "must hold"}}
    assert _run([rule])[0]["message"] == "must hold; the rule is false"


def test_one_bad_rule_gives_an_error_and_the_others_run(closed_port: int) -> None:
    results = _run(
        [
            {"name": "bad-cel", "type": "internal", "validation": "1 +"},
            {"name": "bad-type", "type": "smtp"},
            {"name": "missing", "type": "tcp", "host": "127.0.0.1"},
            {"name": "good", "type": "internal"},
        ]
    )
    assert [r["status"] for r in results] == ["error", "error", "error", "pass"]
    assert results[0]["message"].startswith("assertions[0].rules[0].validation: invalid CEL")
    assert "unknown type 'smtp'" in results[1]["message"]
    assert results[2]["message"] == "assertions[0].rules[2].port: is required"


def test_templated_fields_are_rendered_before_validation() -> None:
    contexts = [{"name": "c", "type": "inline", "data": {"seconds": 2}}]
    rule = {"type": "internal", "timeout": "{{ c.seconds }}", "validation": "spec.timeout == 2.0"}
    assert _run([rule], contexts)[0]["status"] == "pass"


@pytest.mark.usefixtures("fake_check")
def test_a_run_timeout_longer_than_the_default_leaves_a_long_rule_its_own_timeout() -> None:
    # What the operator's --run-timeout does for a 1,200 s rule (nothing waits that long:
    # the check reports the time its deadline leaves it).
    results = _run([{"type": "internal", "timeout": 1200}], run_timeout=1300)
    assert 1190 < results[0]["data"]["remaining"] <= 1200
