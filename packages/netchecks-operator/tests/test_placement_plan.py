"""The pure plan of per-node assertions (``spec.placement.nodes``)."""

from __future__ import annotations

import json
from typing import Any

from netchecks_core import naming
from netchecks_operator.noderuns import due_schedule_time, next_schedule_time
from netchecks_operator.nodes import eligible_nodes, selector_matches
from netchecks_operator.plan import Observed, Plan, plan
from netchecks_operator.settings import OperatorSettings

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:30Z"
SETTINGS = OperatorSettings()


def node(
    name: str,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    ready: bool = True,
    cordoned: bool = False,
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": cordoned},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


NODES = [node("a", {"zone": "x"}), node("b", {"zone": "y"}), node("c", {"zone": "y"})]


def placed(placement: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    builder = AssertionBuilder("web").with_http("http://example/")
    return builder.with_spec(placement={"nodes": placement or {}}, **spec).stored()


def run(obj: dict[str, Any], **observed: Any) -> Plan:
    observed.setdefault("nodes", NODES)
    return plan(Observed(assertion=obj, **observed), SETTINGS.plan_settings(), NOW)


def jobs_created(result: Plan) -> list[dict[str, Any]]:
    return [a.body for a in result.actions if a.verb == "create" and a.kind == "Job" and a.body]


def stored(body: dict[str, Any], uid: str, **status: Any) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(json.dumps(body))
    obj["metadata"].update(uid=uid, resourceVersion="20", creationTimestamp=NOW)
    obj["status"] = status
    return obj


def test_without_placement_nothing_changes() -> None:
    obj = AssertionBuilder("web").with_http("http://example/").stored()
    result = plan(Observed(assertion=obj, nodes=NODES), SETTINGS.plan_settings(), NOW)
    assert [str(a) for a in result.actions] == [
        "create ConfigMap web-netchecks-config",
        "create Job web-netchecks-g1",
    ]


def test_one_pinned_job_per_node_labelled_with_the_run() -> None:
    result = run(placed())
    jobs = jobs_created(result)
    assert str(result.actions[0]) == "create ConfigMap web-netchecks-config"
    assert [j["metadata"]["annotations"][naming.ANNOTATION_NODE] for j in jobs] == ["a", "b", "c"]
    for job, name in zip(jobs, "abc", strict=True):
        assert job["metadata"]["labels"][naming.LABEL_RUN_ID] == "g1"
        assert job["metadata"]["ownerReferences"][0]["kind"] == "NetworkAssertion"
        assert job["spec"]["suspend"] is False
        pod = job["spec"]["template"]
        terms = pod["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert terms == [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [name]}]}
        ]
        assert pod["metadata"]["labels"][naming.LABEL_RUN_ID] == "g1"
        assert pod["metadata"]["annotations"][naming.ANNOTATION_NODE] == name
    assert result.status is not None
    assert result.status["jobName"] == "web-netchecks-g1"


def test_selector_tolerations_readiness_and_cordon_choose_the_nodes() -> None:
    gpu = {"key": "gpu", "value": "yes", "effect": "NoSchedule"}
    nodes = [
        node("a", {"zone": "y"}),
        node("b", {"zone": "y"}, taints=[gpu]),
        node("c", {"zone": "y"}, ready=False),
        node("d", {"zone": "y"}, cordoned=True),
        node("e", {"zone": "x"}),
    ]
    selector = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["y"]}]}
    result = run(placed({"selector": selector}), nodes=nodes)
    assert [j["metadata"]["annotations"][naming.ANNOTATION_NODE] for j in jobs_created(result)] == [
        "a"
    ]
    toleration = {"key": "gpu", "operator": "Exists"}
    result = run(placed({"selector": selector, "tolerations": [toleration]}), nodes=nodes)
    jobs = jobs_created(result)
    assert [j["metadata"]["annotations"][naming.ANNOTATION_NODE] for j in jobs] == ["a", "b"]
    assert {"key": "gpu", "operator": "Exists"} in jobs[1]["spec"]["template"]["spec"][
        "tolerations"
    ]


def test_template_affinity_terms_each_get_the_pin() -> None:
    zone = {"key": "zone", "operator": "In", "values": ["y"]}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [zone]}]
            }
        }
    }
    obj = placed(template={"spec": {"affinity": affinity}})
    job = jobs_created(run(obj))[1]
    terms = job["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    pin = {"key": "metadata.name", "operator": "In", "values": ["b"]}
    assert terms == [{"matchExpressions": [zone], "matchFields": [pin]}]


def test_max_concurrent_suspends_the_rest_and_resumes_as_jobs_finish() -> None:
    obj = placed({"maxConcurrent": 1})
    jobs = jobs_created(run(obj))
    assert [j["spec"]["suspend"] for j in jobs] == [False, True, True]
    complete = {"conditions": [{"type": "Complete", "status": "True"}]}
    observed = [stored(jobs[0], "j0", **complete), stored(jobs[1], "j1"), stored(jobs[2], "j2")]
    status = {"jobName": "web-netchecks-g1"}
    again = run(placed({"maxConcurrent": 1}) | {"status": status}, jobs=observed)
    replaced = [a for a in again.actions if a.verb == "patch" and a.kind == "Job"]
    assert [(a.name, a.body["spec"]["suspend"]) for a in replaced if a.body] == [
        (jobs[1]["metadata"]["name"], False)
    ]
    assert jobs_created(again) == []
    assert not [e for e in again.events if "Job" in e.message]  # resuming is routine


def test_a_node_gone_mid_run_gives_up_its_job_and_no_new_run_starts() -> None:
    jobs = jobs_created(run(placed()))
    observed = [stored(j, f"j{i}") for i, j in enumerate(jobs)]
    obj = placed() | {"status": {"jobName": "web-netchecks-g1"}}
    result = run(obj, jobs=observed, nodes=[NODES[0], NODES[2]])
    replaced = [a for a in result.actions if a.verb == "patch" and a.body]
    assert len(replaced) == 1
    body = replaced[0].body
    assert body is not None
    assert body["metadata"]["annotations"][naming.ANNOTATION_NODE] == "b"
    assert body["metadata"]["annotations"][naming.ANNOTATION_NODE_GONE] == "true"
    assert body["spec"]["suspend"] is True
    assert jobs_created(result) == []
    assert [(e.type, e.reason) for e in result.events if "Job" in e.message] == [
        ("Warning", "NodeLeft")
    ]


def test_the_next_run_includes_a_new_node_and_replaces_the_old_run() -> None:
    jobs = jobs_created(run(placed()))
    complete = {"conditions": [{"type": "Complete", "status": "True"}]}
    observed = [stored(j, f"j{i}", **complete) for i, j in enumerate(jobs)]
    obj = placed() | {"status": {"jobName": "web-netchecks-g1"}}
    obj["metadata"]["annotations"] = {naming.ANNOTATION_RUN_NOW: "1"}
    result = run(obj, jobs=observed, nodes=[*NODES, node("d")])
    created = jobs_created(result)
    assert [j["metadata"]["annotations"][naming.ANNOTATION_NODE] for j in created] == [
        "a",
        "b",
        "c",
        "d",
    ]
    assert len([a for a in result.actions if a.verb == "delete" and a.kind == "Job"]) == 3
    cm = next(a for a in result.actions if a.kind == "ConfigMap")
    assert cm.body is not None
    assert cm.body["metadata"]["annotations"][naming.ANNOTATION_LAST_RUN_NOW] == "1"


def test_after_a_run_now_the_generation_run_does_not_start_again() -> None:
    first = jobs_created(run(placed()))
    done = {"conditions": [{"type": "Complete", "status": "True"}]}
    obj = placed()
    obj["metadata"]["annotations"] = {naming.ANNOTATION_RUN_NOW: "1"}
    now_run = jobs_created(run(obj, jobs=[stored(j, f"j{i}", **done) for i, j in enumerate(first)]))
    assert now_run[0]["metadata"]["labels"][naming.LABEL_RUN_ID].startswith("now-")
    configmap = {
        "metadata": {
            "name": "web-netchecks-config",
            "uid": "cm",
            "annotations": {naming.ANNOTATION_LAST_RUN_NOW: "1"},
            "ownerReferences": [{"uid": "uid-1", "controller": True}],
        }
    }
    obj["status"] = {"jobName": "web-netchecks-now-6b86b2"}
    again = run(obj, jobs=[stored(j, f"n{i}") for i, j in enumerate(now_run)], configmap=configmap)
    assert jobs_created(again) == []
    assert not [a for a in again.actions if a.verb == "delete" and a.kind == "Job"]


def test_no_matching_node_says_so_in_status() -> None:
    result = run(placed({"selector": {"matchLabels": {"zone": "nowhere"}}}))
    assert jobs_created(result) == []
    assert result.status is not None
    assert "no node matches" in result.status["conditions"][0]["message"]


def test_nodes_not_readable_says_so() -> None:
    result = run(placed(), nodes=None)
    assert jobs_created(result) == []
    assert result.status is not None
    assert "cannot list Nodes" in result.status["conditions"][0]["message"]


def test_scheduled_runs_start_at_the_schedule_time_and_requeue_for_the_next() -> None:
    obj = placed(schedule="* * * * *")
    obj["metadata"]["creationTimestamp"] = "2026-02-02T09:58:10Z"
    result = run(obj)
    jobs = jobs_created(result)
    assert jobs and jobs[0]["metadata"]["labels"][naming.LABEL_RUN_ID] == "s1770026400"
    assert jobs[0]["metadata"]["annotations"][naming.ANNOTATION_SCHEDULED_TIME] == (
        "2026-02-02T10:00:00Z"
    )
    assert result.requeue_after is not None and 29 < result.requeue_after < 31
    assert not [a for a in result.actions if a.kind == "CronJob"]


def test_schedule_times() -> None:
    from datetime import UTC, datetime

    last = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    now = datetime(2026, 1, 1, 0, 10, 30, tzinfo=UTC)
    assert due_schedule_time("*/5 * * * *", last, now) == datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    assert due_schedule_time("@every 4m", last, now) == datetime(2026, 1, 1, 0, 8, tzinfo=UTC)
    assert next_schedule_time("@every 4m", last, now) == datetime(2026, 1, 1, 0, 12, tzinfo=UTC)
    assert due_schedule_time("0 * * * *", last, now) is None
    assert due_schedule_time("not a schedule", last, now) is None


def test_selectors() -> None:
    from netchecks_core.assertion import LabelSelector, NodePlacement

    sel = LabelSelector.model_validate(
        {"matchExpressions": [{"key": "pool", "operator": "NotIn", "values": ["gpu"]}]}
    )
    assert selector_matches(sel, {})
    assert not selector_matches(sel, {"pool": "gpu"})
    placement = NodePlacement.model_validate({})
    assert eligible_nodes(NODES, placement) == ["a", "b", "c"]
