"""Per-node reports: a result per rule per node, the node as the result's resource, and
an error (never a gap) for a node whose probe gave no result."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from netchecks_core import naming
from netchecks_core.policyreport import (
    ANNOTATION_FAILING_NODE_COUNT,
    ANNOTATION_FAILING_NODES,
    ANNOTATION_NODES,
    ANNOTATION_POD_UID,
    REPORT_APIS,
)
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.resources import Resource
from netchecks_results.noderuns import (
    no_pod_failure,
    pod_may_be_in_flight,
    run_jobs,
    run_marker,
    settled,
)
from netchecks_results.parse import parse_log
from netchecks_results.report import NodeOutcome, build_node_report, outcome_by_rule
from netchecks_results.runs import ProbeRun, probe_run

from tools.builders import AssertionBuilder, controller_reference, output_document, probe_pod

NOW = datetime(2025, 6, 1, 12, 5, tzinfo=UTC)
CRDS = Path(__file__).resolve().parents[3] / "charts" / "netchecks" / "files" / "crds"


def crd_schema(api: Resource) -> dict[str, Any]:
    crd = yaml.safe_load((CRDS / f"{api.group}_{api.plural}.yaml").read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == api.version)
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def assertion() -> dict[str, Any]:
    builder = AssertionBuilder("web").with_rule("http", "up", url="http://a/")
    return builder.with_rule("dns", "names", host="a.test").stored()


def pod_run(obj: dict[str, Any], node: str) -> ProbeRun:
    run = probe_run(probe_pod(obj, name=f"web-{node}-x"))
    assert run is not None
    return replace(run, run_id="g1", job_uid=f"job-{node}")


def output(up: str) -> ProbeOutput:
    parsed = parse_log(output_document({"up": up, "names": "pass"}))
    assert isinstance(parsed, ProbeOutput)
    return parsed


def job(obj: dict[str, Any], node: str, **status: Any) -> dict[str, Any]:
    meta = {
        "name": f"web-netchecks-g1-{node}",
        "uid": f"job-{node}",
        "labels": {naming.LABEL_RUN_ID: "g1"},
        "annotations": {naming.ANNOTATION_NODE: node},
        "ownerReferences": [controller_reference(obj)],
    }
    return {"metadata": meta, "status": status}


@pytest.mark.parametrize("api", list(REPORT_APIS.values()), ids=lambda a: a.api_version)
def test_a_result_per_rule_per_node_with_the_node_as_resource(api: Resource) -> None:
    obj = assertion()
    runs = {n: pod_run(obj, n) for n in ("a", "b")}
    parts = [
        NodeOutcome("b", runs["b"], output("fail")),
        NodeOutcome("a", runs["a"], output("pass")),
        NodeOutcome("c", None, no_pod_failure(gone_job(obj, "c"))),
    ]
    report = build_node_report(obj, run_marker(runs["a"], []), parts, api, now=NOW)
    jsonschema.validate(report, crd_schema(api))
    rows = [(r["rule"], r["resources"][0]["name"], r["result"]) for r in report["results"]]
    assert rows == [
        ("up", "a", "pass"),
        ("names", "a", "pass"),
        ("up", "b", "fail"),
        ("names", "b", "pass"),
        ("up", "c", "error"),
        ("names", "c", "error"),
    ]
    assert all(r["resources"][0]["kind"] == "Node" for r in report["results"])
    assert report["summary"] == {"pass": 3, "fail": 1, "error": 2}
    gone = report["results"][4]
    assert "node c left the cluster" in gone["message"]
    assert "pod" not in gone["properties"] and gone["properties"]["node"] == "c"
    annotations = report["metadata"]["annotations"]
    assert annotations[ANNOTATION_NODES] == "3"
    assert annotations[ANNOTATION_FAILING_NODE_COUNT] == "2"
    assert annotations[ANNOTATION_FAILING_NODES] == "b,c"
    assert outcome_by_rule(report)["up on node b"] == "fail"


def gone_job(obj: dict[str, Any], node: str) -> dict[str, Any]:
    given_up = job(obj, node)
    given_up["metadata"]["annotations"][naming.ANNOTATION_NODE_GONE] = "true"
    return given_up


def test_a_failed_job_without_a_pod_is_an_error_naming_the_job() -> None:
    failed = {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}
    failure = no_pod_failure(job(assertion(), "b", conditions=[failed]))
    assert failure.reason == "probe-never-ran"
    assert "for node b failed without a finished probe Pod (DeadlineExceeded)" in failure.message


def test_run_jobs_are_those_the_assertion_controls_and_settle_when_finished() -> None:
    obj = assertion()
    mine = job(obj, "a")
    foreign = job(obj, "b")
    foreign["metadata"]["ownerReferences"][0]["uid"] = "someone-else"
    other_run = job(obj, "c")
    other_run["metadata"]["labels"][naming.LABEL_RUN_ID] = "g2"
    uid = obj["metadata"]["uid"]
    assert run_jobs([mine, foreign, other_run], "g1", uid) == [mine]
    assert not settled(mine)
    assert settled(job(obj, "a", conditions=[{"type": "Complete", "status": "True"}]))
    assert settled(gone_job(obj, "c"))


def test_the_marker_names_the_run_not_a_pod() -> None:
    obj = assertion()
    marker = run_marker(pod_run(obj, "a"), [job(obj, "a"), job(obj, "b")])
    parts = [NodeOutcome("a", pod_run(obj, "a"), output("pass"))]
    report = build_node_report(obj, marker, parts, next(iter(REPORT_APIS.values())), now=NOW)
    assert report["metadata"]["annotations"][ANNOTATION_POD_UID] == "run:g1:2"


def test_a_finished_job_whose_pod_is_not_cached_yet_is_waited_for_briefly() -> None:
    """Pods and Jobs come through separate watches: the Job may say Complete first."""
    obj = assertion()
    done = {"type": "Complete", "status": "True", "lastTransitionTime": "2025-06-01T12:04:58Z"}
    complete = job(obj, "a", conditions=[done])
    assert pod_may_be_in_flight(complete, None, NOW, grace=10)
    assert not pod_may_be_in_flight(complete, None, NOW, grace=1)  # then: an error for it
    assert not pod_may_be_in_flight(complete, pod_run(obj, "a"), NOW, grace=10)
    assert not pod_may_be_in_flight(gone_job(obj, "a"), None, NOW, grace=10)
