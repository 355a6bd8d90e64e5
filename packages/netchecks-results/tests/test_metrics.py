"""The per-rule result gauge (one series per rule, bounded, gone with its assertion), the
per-assertion run times and the run outcomes."""

from __future__ import annotations

import pytest
from netchecks_core.policyreport import ANNOTATION_LAST_RESULT_TIME, ANNOTATION_RUN_TIME
from netchecks_results.metrics import ResultsMetrics, run_outcome
from opentelemetry.metrics import CallbackOptions


def series(metrics: ResultsMetrics) -> list[dict[str, object]]:
    return [dict(o.attributes or {}) for o in metrics._observe_rules(CallbackOptions())]


def test_each_rule_has_one_series_with_its_current_result() -> None:
    metrics = ResultsMetrics()
    metrics.set_rules("ns", "web", [("a", "http", "pass"), ("b", "dns", "fail")])
    metrics.set_rules("ns", "web", [("a", "http", "fail"), ("b", "dns", "fail")])
    assert sorted((s["rule"], s["result"]) for s in series(metrics)) == [
        ("a", "fail"),
        ("b", "fail"),
    ]


def test_series_are_bounded_and_freed_when_an_assertion_goes() -> None:
    metrics = ResultsMetrics(max_rule_series=3)
    metrics.set_rules("ns", "one", [("a", "tcp", "pass"), ("b", "tcp", "pass")])
    metrics.set_rules("ns", "two", [("a", "tcp", "pass"), ("b", "tcp", "pass")])
    assert len(series(metrics)) == 3
    metrics.forget_assertion("ns", "one")
    assert [s["assertion"] for s in series(metrics)] == ["two"]
    metrics.set_rules("ns", "two", [("a", "tcp", "pass"), ("b", "tcp", "pass")])
    assert len(series(metrics)) == 2


def test_an_error_is_its_own_result_never_folded_into_pass_or_fail() -> None:
    metrics = ResultsMetrics()
    metrics.set_rules("ns", "web", [("typo", "http", "error"), ("blocked", "tcp", "pass")])
    assert sorted((s["rule"], s["result"]) for s in series(metrics)) == [
        ("blocked", "pass"),
        ("typo", "error"),
    ]


def observed(metrics: ResultsMetrics, last_result: bool) -> dict[tuple[str, str], float]:
    return {
        (str(o.attributes["namespace"]), str(o.attributes["assertion"])): o.value
        for o in metrics._observe_times(last_result)
        if o.attributes
    }


def report(run_time: str, last_result: str | None, results: list[str]) -> dict[str, object]:
    annotations = {ANNOTATION_RUN_TIME: run_time}
    if last_result:
        annotations[ANNOTATION_LAST_RESULT_TIME] = last_result
    return {
        "metadata": {"annotations": annotations},
        "results": [
            {"rule": f"r{i}", "category": "tcp", "result": r} for i, r in enumerate(results)
        ],
    }


def test_a_report_sets_the_rules_and_the_times_of_its_assertion() -> None:
    metrics = ResultsMetrics()

    metrics.show_report(
        "ns", "web", report("2025-06-01T12:05:00Z", "2025-06-01T12:00:00Z", ["error"])
    )

    assert observed(metrics, last_result=False) == {("ns", "web"): 1748779500.0}
    assert observed(metrics, last_result=True) == {("ns", "web"): 1748779200.0}
    assert [(s["rule"], s["result"]) for s in series(metrics)] == [("r0", "error")]


def test_an_assertion_without_a_result_yet_has_a_last_run_and_no_last_result() -> None:
    metrics = ResultsMetrics()

    metrics.show_report("ns", "web", report("2025-06-01T12:05:00Z", None, ["error"]))

    assert list(observed(metrics, last_result=False)) == [("ns", "web")]
    assert observed(metrics, last_result=True) == {}


def test_times_go_with_their_assertion_and_with_the_series_bound() -> None:
    metrics = ResultsMetrics(max_rule_series=1)
    metrics.show_report("ns", "one", report("2025-06-01T12:05:00Z", None, ["pass"]))
    metrics.show_report("ns", "two", report("2025-06-01T12:05:00Z", None, ["pass"]))

    assert list(observed(metrics, last_result=False)) == [("ns", "one")]
    metrics.forget_assertion("ns", "one")
    assert observed(metrics, last_result=False) == {}


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        (None, "reported"),
        ("oom-killed", "no-result"),
        ("no-output", "no-result"),
        ("log-unavailable", "no-result"),
        ("invalid-output", "parse-error"),
        ("incomplete-output", "parse-error"),
    ],
)
def test_run_outcomes_tell_results_from_runs_without_one(reason: str | None, outcome: str) -> None:
    assert run_outcome(reason) == outcome
