"""PolicyReports read by tooling written for Netchecks 0.10 (issue 14)."""

from __future__ import annotations

from netchecks_core.policyreport import WG_V1ALPHA2

from tools.builders import AssertionBuilder, output_document, rule_result

from .test_report import build  # type: ignore[import-not-found]  # a sibling test module (no package)


def test_repeated_rule_names_each_get_their_own_result_told_apart_by_number() -> None:
    assertion = (
        AssertionBuilder("dns-restrictions")
        .with_rule("dns", "svc-lookup", host="kubernetes.default")
        .with_rule("dns", "svc-lookup", host="kubernetes.default.svc")
        .stored()
    )
    log = output_document({"svc-lookup": "pass", "svc-lookup#2": "fail"})
    report = build(assertion, log)
    assert [(r["policy"], r["rule"], r["result"]) for r in report["results"]] == [
        ("dns-restrictions", "svc-lookup", "pass"),
        ("dns-restrictions", "svc-lookup#2", "fail"),
    ]


def test_summary_lists_only_the_counts_that_are_not_zero() -> None:
    assertion = AssertionBuilder().with_rule("dns", "a", host="x").with_rule("dns", "b", host="y")
    report = build(assertion.stored(), output_document({"a": "pass", "b": "pass"}))
    assert report["summary"] == {"pass": 2}
    assert "fail" not in report["summary"]


def test_report_has_the_labels_and_annotations_0_10_wrote() -> None:
    assertion = (
        AssertionBuilder("http-should-work").with_rule("http", "h", url="http://x/").stored()
    )
    report = build(assertion, output_document({"h": "pass"}), api=WG_V1ALPHA2)
    labels, annotations = report["metadata"]["labels"], report["metadata"]["annotations"]
    assert labels["app.kubernetes.io/instance"] == "http-should-work"
    assert labels["policy.kubernetes.io/engine"] == "netcheck"
    assert labels["app.kubernetes.io/managed-by"] == "netchecks-results"  # ours stay
    assert annotations["category"] == "Network"
    assert annotations["created-by"] == "netcheck"
    assert annotations["netcheck-operator-version"]


def test_a_long_assertion_name_gives_a_valid_instance_label() -> None:
    name = "a" * 200
    assertion = AssertionBuilder(name).with_rule("dns", "a", host="x").stored()
    report = build(assertion, output_document({"a": rule_result("pass")}))
    instance = report["metadata"]["labels"]["app.kubernetes.io/instance"]
    assert len(instance) <= 63
