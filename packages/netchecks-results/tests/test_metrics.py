"""The per-rule result gauge: one series per rule, bounded, gone with its assertion."""

from __future__ import annotations

from netchecks_results.metrics import ResultsMetrics
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
