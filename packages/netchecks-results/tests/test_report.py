"""Report building: statuses, messages, summary, severity, size caps, every report API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from netchecks_core.policyreport import (
    ANNOTATION_LAST_RESULT_TIME,
    ANNOTATION_POD_UID,
    ANNOTATION_RUN_TIME,
    ANNOTATION_TRUNCATED,
    OPENREPORTS_V1ALPHA1,
    REPORT_APIS,
    WG_V1ALPHA2,
    WG_V1BETA1,
    PolicyReport,
    has_report_source,
)
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.resources import Resource
from netchecks_results.parse import ParseFailure, parse_log
from netchecks_results.report import (
    VERSION,
    ReportLimits,
    bounded_json,
    build_policy_report,
    outcome_by_rule,
)
from netchecks_results.runs import RunFailure, describe_failure, probe_run

from tools.builders import AssertionBuilder, output_document, probe_pod, rule_result

NOW = datetime(2025, 6, 1, 12, 5, tzinfo=UTC)
CRDS = Path(__file__).resolve().parents[3] / "charts" / "netchecks" / "files" / "crds"


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD schema as JSON Schema that refuses what the API server would prune."""
    schema = copy.deepcopy(schema)
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
    for key in ("properties",):
        for name, sub in (schema.get(key) or {}).items():
            schema[key][name] = _strict(sub)
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"])
    return schema


def crd_schema(api: Resource) -> dict[str, Any]:
    path = CRDS / f"{api.group}_{api.plural}.yaml"
    crd = yaml.safe_load(path.read_text())
    assert crd["spec"]["names"]["kind"] == api.kind
    version = next(v for v in crd["spec"]["versions"] if v["name"] == api.version)
    assert version["served"]
    return _strict(version["schema"]["openAPIV3Schema"])


def build(
    assertion: dict[str, Any],
    log: str,
    *,
    api: Resource = WG_V1ALPHA2,
    limits: ReportLimits | None = None,
    pod: dict[str, Any] | None = None,
) -> dict[str, Any]:
    run = probe_run(pod or probe_pod(assertion))
    assert run is not None
    parsed = parse_log(log)
    outcome: ProbeOutput | RunFailure = (
        describe_failure(run, parse_failure=parsed) if isinstance(parsed, ParseFailure) else parsed
    )
    report = build_policy_report(assertion, run, outcome, api, now=NOW, limits=limits)
    jsonschema.validate(report, crd_schema(api))
    return report


def three_rules() -> AssertionBuilder:
    return (
        AssertionBuilder("payments-db", "payments")
        .with_rule("dns", "resolve", host="db.internal")
        .with_rule("tcp", "port", host="db.internal", port=5432)
        .with_rule("http", "blocked", url="https://example.com")
        .expect_fail()
    )


def test_every_rule_gets_its_probe_verdict_and_the_summary_counts_them() -> None:
    a = three_rules().stored()
    log = output_document({"resolve": "pass", "port": "fail", "blocked": "pass"})
    report = build(a, log)
    assert [(r["rule"], r["result"]) for r in report["results"]] == [
        ("resolve", "pass"),
        ("port", "fail"),
        ("blocked", "pass"),
    ]
    assert report["summary"] == {"pass": 2, "fail": 1}


def test_results_carry_policy_category_source_and_timestamp() -> None:
    a = three_rules().stored()
    data = {"endTimestamp": "2025-06-01T12:00:01.500000+00:00", "connected": False}
    log = output_document(
        {"resolve": "pass", "port": rule_result("fail", data=data), "blocked": "pass"}
    )
    port = build(a, log)["results"][1]
    assert port["policy"] == "payments-db"
    assert port["category"] == "tcp"
    assert port["source"] == "netchecks"
    assert port["timestamp"] == {"seconds": 1748779201, "nanos": 500000000}
    assert json.loads(port["properties"]["data"]) == data


def test_report_is_named_labelled_and_owned_by_its_assertion() -> None:
    a = three_rules().stored()
    report = build(a, output_document({"resolve": "pass"}))
    meta = report["metadata"]
    assert meta["name"] == "payments-db"
    assert meta["namespace"] == "payments"
    assert meta["labels"] == {
        "app.kubernetes.io/name": "netchecks",
        "app.kubernetes.io/managed-by": "netchecks-results",
        "netchecks.io/assertion-uid": a["metadata"]["uid"],
        "app.kubernetes.io/instance": "payments-db",
        "app.kubernetes.io/version": VERSION,
        "policy.kubernetes.io/engine": "netcheck",
    }
    assert meta["annotations"]["netchecks.io/assertion"] == "payments-db"
    owner = meta["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "NetworkAssertion",
        a["metadata"]["uid"],
        True,
    )
    assert report["scope"]["uid"] == a["metadata"]["uid"]


def test_rule_missing_from_output_is_an_error_naming_it() -> None:
    a = three_rules().stored()
    report = build(a, output_document({"resolve": "pass", "port": "pass"}))
    blocked = report["results"][2]
    assert blocked["result"] == "error"
    assert "'blocked'" in blocked["message"]
    assert report["summary"]["error"] == 1


def test_validate_message_is_the_message_for_pass_and_fail() -> None:
    a = AssertionBuilder().with_rule("dns", "r", host="x").with_message("DNS must work").stored()
    assert build(a, output_document({"r": "pass"}))["results"][0]["message"] == "DNS must work"
    assert build(a, output_document({"r": "fail"}))["results"][0]["message"] == "DNS must work"
    errored = build(a, output_document({"r": rule_result("error", message="bad CEL: x")}))
    assert errored["results"][0]["message"] == "the DNS check could not be judged: bad CEL: x"


@pytest.mark.parametrize(
    ("expected", "status", "data", "message"),
    [
        ("pass", "pass", {}, "the TCP check passed"),
        (
            "pass",
            "fail",
            {"reason": "connection-refused"},
            "the TCP check failed: the server refused the connection",
        ),
        ("pass", "fail", {}, "the TCP check failed: the validation rule did not hold"),
        (
            "fail",
            "pass",
            {"reason": "timeout"},
            "the TCP check failed as expected: the check did not finish within its timeout",
        ),
        ("fail", "fail", {}, "the TCP check succeeded but was expected to fail"),
    ],
)
def test_message_sentence_follows_outcome_and_reason(
    expected: str, status: str, data: dict[str, Any], message: str
) -> None:
    builder = AssertionBuilder().with_rule("tcp", "r", host="h", port=1)
    if expected == "fail":
        builder.expect_fail()
    report = build(builder.stored(), output_document({"r": rule_result(status, data=data)}))
    assert report["results"][0]["message"] == message


def test_severity_comes_from_the_annotation_and_invalid_ones_are_left_out() -> None:
    high = three_rules().with_severity("High").stored()
    assert {r["severity"] for r in build(high, output_document({}))["results"]} == {"high"}
    odd = three_rules().with_severity("urgent").stored()
    assert all("severity" not in r for r in build(odd, output_document({}))["results"])


def test_controls_become_a_property() -> None:
    a = three_rules().with_controls(" pci-dss-v4/1.3.2 ,nist/sc-7,, ").stored()
    result = build(a, output_document({"resolve": "pass"}))["results"][0]
    assert result["properties"]["controls"] == "pci-dss-v4/1.3.2,nist/sc-7"


def test_failed_pod_gives_error_for_every_rule_with_exit_code_and_log_size_not_text() -> None:
    a = three_rules().stored()
    pod = probe_pod(a, phase="Failed", exit_code=3)
    # With FallbackToLogsOnError the termination message is the log's tail.
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    terminated["message"] = "rule check-tok-Zq81xVv3mP0w: Traceback: boom"
    log = "starting check-tok-Zq81xVv3mP0w\nTraceback: boom\n"
    report = build(a, log, pod=pod)
    assert [r["result"] for r in report["results"]] == ["error"] * 3
    message = report["results"][0]["message"]
    assert "failed (exit code 3, reason Error)" in message
    assert f"[no-output, {len(log)} bytes of log, content not shown]" in message
    assert "Zq81xVv3mP0w" not in json.dumps(report) and "boom" not in json.dumps(report)
    assert report["summary"]["error"] == 3


def test_oom_killed_pod_says_so() -> None:
    a = three_rules().stored()
    pod = probe_pod(a, phase="Failed", exit_code=137, reason="OOMKilled")
    run = probe_run(pod)
    assert run is not None
    failure = describe_failure(run, parse_failure=None)
    assert failure.reason == "oom-killed"
    report = build(a, "", pod=pod)
    assert "OOMKilled, exit code 137" in report["results"][0]["message"]


def test_image_pull_error_is_reported_as_a_finished_run() -> None:
    a = three_rules().stored()
    pod = probe_pod(a, phase="Pending", exit_code=None, waiting_reason="ImagePullBackOff")
    run = probe_run(pod)
    assert run is not None and run.done and run.stuck
    failure = describe_failure(run)
    assert failure.reason == "image-pull"
    assert "could not pull its image (ImagePullBackOff: image not found)" in failure.message


def test_running_pod_is_not_done() -> None:
    a = three_rules().stored()
    run = probe_run(probe_pod(a, phase="Running", exit_code=None))
    assert run is not None and not run.done


def test_succeeded_pod_with_garbage_log_says_what_was_wrong() -> None:
    a = three_rules().stored()
    report = build(a, "\x00\x01garbage\n")
    message = report["results"][0]["message"]
    assert message.startswith("no result: the probe Pod")
    assert "finished (exit code 0) but the log holds no probe output document" in message
    # The operator reads this marker to show ResultParseError on the assertion.
    assert report["metadata"]["annotations"]["netchecks.io/run-failure"]


def test_run_with_a_result_has_no_run_failure_marker() -> None:
    a = three_rules().stored()
    report = build(a, output_document({}))
    assert "netchecks.io/run-failure" not in report["metadata"]["annotations"]


def test_log_unavailable_is_an_error_result() -> None:
    a = three_rules().stored()
    run = probe_run(probe_pod(a))
    assert run is not None
    failure = describe_failure(run, log_error="404: pods not found")
    assert failure.reason == "log-unavailable"
    report = build_policy_report(a, run, failure, WG_V1ALPHA2, now=NOW)
    assert "its log could not be read: 404: pods not found" in report["results"][0]["message"]


def test_report_marks_the_run_it_shows() -> None:
    a = three_rules().stored()
    pod = probe_pod(a)
    report = build(a, output_document({}), pod=pod)
    annotations = report["metadata"]["annotations"]
    assert annotations[ANNOTATION_POD_UID] == pod["metadata"]["uid"]
    assert annotations["netchecks.io/pod-phase"] == "Succeeded"
    assert annotations["netchecks.io/run-time"] == "2025-06-01T12:00:00.000000Z"


@pytest.mark.parametrize("api", list(REPORT_APIS.values()), ids=lambda api: api.api_version)
def test_report_validates_against_each_api_crd(api: Resource) -> None:
    a = three_rules().with_severity("critical").with_controls("c1").stored()
    report = build(a, output_document({"resolve": "pass", "port": "fail"}), api=api)
    assert report["apiVersion"] == api.api_version
    assert report["kind"] == api.kind
    if has_report_source(api):
        assert report["source"] == "netchecks"
        assert report["configuration"] == {"limits": {"maxResults": 500}}
    else:
        assert "source" not in report and "configuration" not in report
    assert PolicyReport.from_api(report).summary.fail == 1


def test_v1beta1_and_openreports_differ_only_in_identity() -> None:
    a = three_rules().stored()
    pod = probe_pod(a)
    log = output_document({"resolve": "pass"})
    beta = build(a, log, api=WG_V1BETA1, pod=pod)
    report = build(a, log, api=OPENREPORTS_V1ALPHA1, pod=pod)
    for body in (beta, report):
        body.pop("apiVersion")
        body.pop("kind")
    assert beta == report


def test_disable_redaction_keeps_rule_fields_in_error_results() -> None:
    builder = AssertionBuilder().with_rule("postgres", "q", dsn="postgresql://u:pw@db/x", query="1")
    redacted = build(builder.stored(), "")["results"][0]
    assert "pw@db" not in redacted["properties"]["spec"]
    assert json.loads(redacted["properties"]["spec"])["dsn"] == "REDACTED"
    plain = build(builder.with_spec(disableRedaction=True).stored(), "")["results"][0]
    assert json.loads(plain["properties"]["spec"])["dsn"] == "postgresql://u:pw@db/x"


def test_bounded_json_is_valid_json_within_the_limit() -> None:
    value = {"body": "x" * 100_000, "list": list(range(10_000)), "n": 1}
    text, cut = bounded_json(value, 4096)
    assert cut and len(json.dumps(text)) - 2 <= 4096
    parsed = json.loads(text)
    assert parsed["n"] == 1 and parsed["body"].endswith("…")
    small, cut_small = bounded_json({"a": 1}, 4096)
    assert (small, cut_small) == ('{"a":1}', False)
    tiny, _ = bounded_json(value, 40)
    assert json.loads(tiny)["truncated"] is True
    assert json.loads(tiny)["bytes"] > 100_000


def test_huge_probe_data_keeps_the_report_small_and_says_so() -> None:
    builder = AssertionBuilder()
    for i in range(300):
        builder.with_rule("http", f"r{i}", url=f"https://h/{i}")
    a = builder.stored()
    results = {
        f"r{i}": rule_result("pass" if i % 3 else "fail", data={"body": "é" * 50_000})
        for i in range(300)
    }
    limits = ReportLimits(max_report_bytes=100_000)
    report = build(a, output_document(results), limits=limits)
    assert len(json.dumps(report).encode()) <= 100_000
    note = report["metadata"]["annotations"][ANNOTATION_TRUNCATED]
    assert "cut to" in note and "results shown" in note
    assert report["summary"] == {"pass": 200, "fail": 100}
    kept = [r["result"] for r in report["results"]]
    assert kept.count("fail") == 100, "failing results are kept before passing ones"
    for result in report["results"]:
        json.loads(result["properties"]["data"])


def test_max_results_caps_the_result_list() -> None:
    builder = AssertionBuilder()
    for i in range(30):
        builder.with_rule("internal", f"r{i}")
    report = build(
        builder.stored(),
        output_document({f"r{i}": "pass" for i in range(30)}),
        limits=ReportLimits(max_results=10),
    )
    assert len(report["results"]) == 10
    assert [r["rule"] for r in report["results"]] == [f"r{i}" for i in range(10)]
    assert report["summary"]["pass"] == 30
    assert "10 of 30 results shown" in report["metadata"]["annotations"][ANNOTATION_TRUNCATED]


def test_small_report_has_no_truncation_note() -> None:
    report = build(three_rules().stored(), output_document({"resolve": "pass"}))
    assert ANNOTATION_TRUNCATED not in report["metadata"]["annotations"]


def test_outcome_by_rule_reads_a_report() -> None:
    report = build(three_rules().stored(), output_document({"resolve": "pass", "port": "fail"}))
    assert outcome_by_rule(report) == {"resolve": "pass", "port": "fail", "blocked": "error"}


def test_run_failure_message_is_bounded() -> None:
    a = three_rules().stored()
    run = probe_run(probe_pod(a))
    assert run is not None
    report = build_policy_report(a, run, RunFailure("x", "m" * 10_000), WG_V1ALPHA2, now=NOW)
    assert len(report["results"][0]["message"]) <= 1024


def test_an_error_of_an_expected_fail_rule_stays_an_error_in_the_report_and_summary() -> None:
    builder = AssertionBuilder().with_rule("http", "r", url="http://h/").expect_fail()
    data = {"reason": "deadline", "exception": "the run's deadline cut the check"}
    probe = rule_result("error", data=data, message="reason: deadline (the run's deadline ...)")
    report = build(builder.stored(), output_document({"r": probe}))
    result = report["results"][0]
    assert result["result"] == "error"
    assert result["message"].startswith("the HTTP check could not be judged: reason: deadline")
    assert report["summary"] == {"error": 1}


def _run_at(assertion: dict[str, Any], minute: int, **pod: Any) -> Any:
    run = probe_run(
        probe_pod(
            assertion,
            name=f"p{minute}",
            created=datetime(2025, 6, 1, 12, minute, tzinfo=UTC),
            **pod,
        )
    )
    assert run is not None
    return run


def test_last_result_time_is_the_run_with_a_result_and_survives_runs_without_one() -> None:
    a = three_rules().stored()
    good = _run_at(a, 0)
    output = parse_log(output_document({"resolve": "pass", "port": "pass", "blocked": "pass"}))
    assert isinstance(output, ProbeOutput)
    first = build_policy_report(a, good, output, WG_V1ALPHA2, now=NOW)
    crashed = _run_at(a, 5, phase="Failed", exit_code=137, reason="OOMKilled")
    failure = describe_failure(crashed)

    second = build_policy_report(a, crashed, failure, WG_V1ALPHA2, now=NOW, previous=first)
    never = build_policy_report(a, crashed, failure, WG_V1ALPHA2, now=NOW)

    assert first["metadata"]["annotations"][ANNOTATION_LAST_RESULT_TIME] == (
        "2025-06-01T12:00:00.000000Z"
    )
    assert second["metadata"]["annotations"][ANNOTATION_LAST_RESULT_TIME] == (
        "2025-06-01T12:00:00.000000Z"
    )
    assert second["metadata"]["annotations"][ANNOTATION_RUN_TIME] == "2025-06-01T12:05:00.000000Z"
    assert ANNOTATION_LAST_RESULT_TIME not in never["metadata"]["annotations"]


def test_last_result_time_is_not_taken_from_a_report_of_another_assertion() -> None:
    old = three_rules().stored()
    output = parse_log(output_document({"resolve": "pass", "port": "pass", "blocked": "pass"}))
    assert isinstance(output, ProbeOutput)
    left_over = build_policy_report(old, _run_at(old, 0), output, WG_V1ALPHA2, now=NOW)
    new = three_rules().stored(uid="uid-2")  # same name, new UID
    crashed = _run_at(new, 5, phase="Failed", exit_code=1)

    report = build_policy_report(
        new, crashed, describe_failure(crashed), WG_V1ALPHA2, now=NOW, previous=left_over
    )

    assert ANNOTATION_LAST_RESULT_TIME not in report["metadata"]["annotations"]


def _deep_document(depth: int) -> str:
    # Built as text: json.dumps itself cannot write it at every depth.
    marker = output_document({"a": rule_result("pass", data={"deep": "@@", "n": 1})})
    return marker.replace('"@@"', '{"k":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("depth", [500, 1200, 100_000])
def test_deeply_nested_data_gives_a_report_never_a_recursion_error(depth: int) -> None:
    a = AssertionBuilder().with_rule("internal", name="a").stored()
    report = build(a, _deep_document(depth) + "\n")
    (result,) = report["results"]
    # Whether JSON can decode it depends on the recursion limit (CEL raises it to 2500).
    if depth < 1000 or result["result"] == "pass":  # kept down to the limit, then a marker
        assert result["result"] == "pass" and depth < 100_000
        assert "nested too deeply" in json.loads(result["properties"]["data"]).__repr__()
        assert "nested too deeply" in report["metadata"]["annotations"]["netchecks.io/truncated"]
    else:  # deeper than the JSON decoder goes: the run is an error saying so
        assert result["result"] == "error"
        assert "nested too deeply to be read [too-deep" in result["message"]


def test_nan_and_infinity_in_data_are_never_written_as_json() -> None:
    a = AssertionBuilder().with_rule("internal", name="a").stored()
    log = output_document({"a": rule_result("pass", data={"x": float("nan"), "y": float("inf")})})
    assert "NaN" in log  # what a careless probe prints
    report = build(a, log + "\n")
    text = json.dumps(report, allow_nan=False)
    data = json.loads(report["results"][0]["properties"]["data"])
    assert data == {"x": "NaN", "y": "Infinity"} and "NaN" in text
