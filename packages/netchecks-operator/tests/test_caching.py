"""What the operator's caches keep and which Job updates wake a reconcile (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from netchecks_core import naming
from netchecks_operator.caching import (
    configmap_fields,
    cronjob_fields,
    job_fields,
    job_update_matters,
    report_fields,
)
from netchecks_operator.children import ANNOTATION_RUN
from netchecks_operator.plan import Observed, Plan, plan
from netchecks_operator.settings import OperatorSettings

from tools.builders import AssertionBuilder


def job(run: str | None = None, version: str = "1", **status: Any) -> dict[str, Any]:
    annotations = {"netchecks.io/assertion": "web"}
    if run is not None:
        annotations[ANNOTATION_RUN] = run
    return job_fields(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": "web-netchecks-29000000",
                "namespace": "ns",
                "uid": "j1",
                "resourceVersion": version,
                "annotations": annotations,
                "managedFields": [{"manager": "kube-controller-manager"}],
            },
            "spec": {"template": {"spec": {"containers": [{"name": "probe"}]}}},
            "status": {"active": 1, **status},
        }
    )


COMPLETE = [{"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T00:00:05Z"}]
FAILED = [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]


def never_cannot_mount(namespace: str, job_name: str) -> bool:
    return False


def test_a_job_is_cached_without_its_pod_template_and_unread_status() -> None:
    cached = job(ready=1)
    assert "spec" not in cached
    assert cached["status"] == {"ready": 1}
    assert "managedFields" not in cached["metadata"]


def test_configmaps_and_cronjobs_are_cached_as_their_metadata() -> None:
    configmap = {
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {"netchecks.io/spec-hash": "abc"}},
        "data": {"config.json": "{}" * 1000},
    }
    assert configmap_fields(configmap) == {
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {"netchecks.io/spec-hash": "abc"}},
    }
    cronjob = {**configmap, "kind": "CronJob", "spec": {"schedule": "* * * * *"}}
    assert "spec" not in cronjob_fields(cronjob)


def test_a_report_keeps_its_summary_and_each_results_outcome_time_and_message() -> None:
    report = {
        "metadata": {"name": "web", "annotations": {"netchecks.io/job-uid": "j1"}},
        "summary": {"pass": 1},
        "results": [
            {
                "rule": "r",
                "result": "pass",
                "message": "ok",
                "timestamp": {"seconds": 1, "nanos": 0},
                "properties": {"spec": "x" * 5000, "data": "y" * 5000},
            }
        ],
    }
    kept = report_fields(report)
    assert kept["summary"] == {"pass": 1}
    assert kept["results"] == [
        {"rule": "r", "result": "pass", "message": "ok", "timestamp": {"seconds": 1, "nanos": 0}}
    ]


def test_a_scheduled_runs_progress_wakes_no_reconcile() -> None:
    matters = job_update_matters(never_cannot_mount)
    running = job(version="1")
    ready = job(version="2", ready=1)
    done = job(version="3", succeeded=1, conditions=COMPLETE, completionTime="t")
    assert not matters(running, ready)
    assert not matters(ready, done)


def test_a_failure_and_the_end_of_a_one_shot_run_wake_a_reconcile() -> None:
    matters = job_update_matters(never_cannot_mount)
    assert matters(job(version="1"), job(version="2", conditions=FAILED))
    once = job("once", version="1")
    assert matters(once, job("once", version="2", succeeded=1, conditions=COMPLETE))


def test_a_start_wakes_a_reconcile_only_when_a_pod_of_the_job_could_not_mount() -> None:
    asked: list[tuple[str, str]] = []

    def cannot_mount(namespace: str, job_name: str) -> bool:
        asked.append((namespace, job_name))
        return True

    assert job_update_matters(cannot_mount)(job(version="1"), job(version="2", ready=1))
    assert asked == [("ns", "web-netchecks-29000000")]
    assert not job_update_matters(never_cannot_mount)(job(version="1"), job(version="2", ready=1))


def test_a_metadata_change_wakes_a_reconcile() -> None:
    before = job(version="1")
    after = copy.deepcopy(before)
    after["metadata"]["resourceVersion"] = "2"
    after["metadata"]["annotations"]["netchecks.io/assertion"] = "other"
    assert job_update_matters(never_cannot_mount)(before, after)


def test_a_scheduled_job_keeps_only_its_failure_and_a_one_shot_job_its_end_too() -> None:
    success = [*COMPLETE, {"type": "SuccessCriteriaMet", "status": "True"}]
    scheduled = job(succeeded=1, conditions=success, completionTime="t")
    assert scheduled["status"] == {"succeeded": 1}
    failed = job(conditions=FAILED)
    assert failed["status"]["conditions"] == FAILED
    once = job("once", succeeded=1, conditions=success, completionTime="t")
    assert once["status"] == {"succeeded": 1, "conditions": COMPLETE, "completionTime": "t"}


def test_a_job_keeps_only_our_labels_and_annotations() -> None:
    raw = copy.deepcopy(job())  # a cached Job's annotations are shared, read-only
    raw["metadata"]["labels"] = {"netchecks.io/assertion-uid": "a1", "job-name": "x"}
    raw["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] = "manual"
    kept = job_fields(raw)
    assert kept["metadata"]["labels"] == {"netchecks.io/assertion-uid": "a1"}
    assert kept["metadata"]["annotations"] == {"netchecks.io/assertion": "web"}


OWNER = {
    "apiVersion": "netchecks.io/v1",
    "kind": "NetworkAssertion",
    "name": "web",
    "uid": "a1",
    "controller": True,
    "blockOwnerDeletion": True,
}
CRONJOB_OWNER = {**OWNER, "apiVersion": "batch/v1", "kind": "CronJob", "uid": "cj1"}
TRIMMED_OWNER = {"kind": "NetworkAssertion", "name": "web", "uid": "a1", "controller": True}


def test_children_keep_only_their_owner_reference_to_the_assertion_and_what_it_proves() -> None:
    meta = {"name": "x", "generation": 3, "ownerReferences": [OWNER, CRONJOB_OWNER]}
    for transform in (configmap_fields, cronjob_fields, job_fields):
        kept = transform({"kind": "K", "metadata": meta})["metadata"]
        assert kept["ownerReferences"] == [TRIMMED_OWNER]
        assert "generation" not in kept
    report = report_fields({"kind": "PolicyReport", "metadata": meta})["metadata"]
    assert report["ownerReferences"] == [OWNER, CRONJOB_OWNER], "kept whole (see kube._about)"
    assert "generation" not in report
    only_cronjob = job_fields({"metadata": {"name": "x", "ownerReferences": [CRONJOB_OWNER]}})
    assert "ownerReferences" not in only_cronjob["metadata"]


def test_a_configmap_keeps_no_labels_nor_creation_time_and_a_cronjob_its_assertion_uid() -> None:
    meta = {
        "name": "x",
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "labels": {naming.LABEL_ASSERTION_UID: "a1", naming.LABEL_NAME: "netchecks"},
    }
    assert configmap_fields({"metadata": meta})["metadata"] == {"name": "x"}
    kept = cronjob_fields({"metadata": meta})["metadata"]
    assert kept["labels"] == {naming.LABEL_ASSERTION_UID: "a1"}
    assert kept["creationTimestamp"] == "2026-01-01T00:00:00Z"


def test_a_job_keeps_a_true_suspend_only_and_no_zero_or_empty_status() -> None:
    running = job(ready=0, succeeded=0, conditions=[])
    assert "status" not in running and "spec" not in running
    raw: dict[str, Any] = {"metadata": {"name": "x"}, "spec": {"suspend": False, "parallelism": 1}}
    assert "spec" not in job_fields(raw)
    raw["spec"]["suspend"] = True
    assert job_fields(raw)["spec"] == {"suspend": True}


def test_a_report_keeps_only_the_label_and_annotations_the_operator_reads() -> None:
    read = {
        "netchecks.io/job-uid": "j1",
        "netchecks.io/run-time": "2026-01-01T00:00:00Z",
        "netchecks.io/assertion-generation": "1",
        "netchecks.io/run-failure": "no-output",
        "netchecks.io/nodes": "3",
        "netchecks.io/failing-node-count": "1",
        "netchecks.io/failing-nodes": "b",
    }
    unread = {
        "netchecks.io/pod-uid": "p1",
        "netchecks.io/pod-name": "web-x",
        "netchecks.io/job-name": "web-netchecks-1",
        "netchecks.io/finish-time": "2026-01-01T00:00:01Z",
    }
    labels = {naming.LABEL_ASSERTION_UID: "a1", naming.LABEL_INSTANCE: "web"}
    report = {
        "metadata": {
            "name": "web",
            "uid": "r1",
            "labels": labels,
            "annotations": {**read, **unread},
        }
    }
    kept = report_fields(report)["metadata"]
    assert kept == {
        "name": "web",
        "labels": {naming.LABEL_ASSERTION_UID: "a1"},
        "annotations": read,
    }


# -- the trimmed caches plan as the whole objects do ---------------------------------------

NOW = "2026-02-02T10:00:00Z"
PLAN_SETTINGS = OperatorSettings().plan_settings()
MANAGED = [{"manager": "kube-controller-manager", "fieldsV1": {"f:status": {}}}]


def as_served(body: dict[str, Any] | None, uid: str, **status: Any) -> dict[str, Any]:
    """A planned child as the API server returns it: identity, managedFields, status."""
    assert body is not None
    obj: dict[str, Any] = copy.deepcopy(body)
    obj["metadata"].update(
        uid=uid,
        resourceVersion="20",
        generation=1,
        creationTimestamp="2026-02-02T09:00:00Z",
        managedFields=MANAGED,
    )
    if status:
        obj["status"] = status
    return obj


def scheduled_run(cronjob: dict[str, Any], index: int, **status: Any) -> dict[str, Any]:
    """A Job the CronJob made: its template's metadata, the CronJob's reference, Pod spec."""
    template = cronjob["spec"]["jobTemplate"]
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"web-netchecks-2900000{index}",
            "namespace": "ns",
            "labels": {**template["metadata"]["labels"], "controller-uid": f"j{index}"},
            "annotations": {
                **template["metadata"]["annotations"],
                "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-02-02T09:00:00Z",
            },
            "ownerReferences": [{**CRONJOB_OWNER, "uid": cronjob["metadata"]["uid"]}],
        },
        "spec": {**copy.deepcopy(template["spec"]), "suspend": False},
    }
    served = as_served(job, f"j{index}", **status)
    served["metadata"]["creationTimestamp"] = f"2026-02-02T09:0{index}:00Z"
    return served


def served_report(assertion: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """The results service's report of ``job``'s run, with everything it writes."""
    meta = assertion["metadata"]
    return {
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {
            "name": meta["name"],
            "namespace": "ns",
            "uid": "r1",
            "resourceVersion": "30",
            "generation": 4,
            "creationTimestamp": "2026-02-02T09:00:00Z",
            "labels": {
                naming.LABEL_ASSERTION_UID: meta["uid"],
                naming.LABEL_INSTANCE: meta["name"],
                naming.LABEL_MANAGED_BY: "netchecks-results",
            },
            "annotations": {
                "netchecks.io/assertion": meta["name"],
                "netchecks.io/assertion-generation": "1",
                "netchecks.io/job-uid": job["metadata"]["uid"],
                "netchecks.io/job-name": job["metadata"]["name"],
                "netchecks.io/run-time": job["metadata"]["creationTimestamp"],
                "netchecks.io/pod-uid": "p1",
                "netchecks.io/pod-name": job["metadata"]["name"] + "-x",
            },
            "ownerReferences": [{**OWNER, "uid": meta["uid"], "blockOwnerDeletion": False}],
            "managedFields": MANAGED,
        },
        "summary": {"pass": 1, "fail": 0},
        "results": [
            {
                "policy": meta["name"],
                "rule": "web",
                "result": "pass",
                "timestamp": {"seconds": 1770022800, "nanos": 0},
                "message": "the HTTP check passed",
                "properties": {"spec": "{}", "data": "{}"},
            }
        ],
    }


def plans_alike(observed: Observed) -> Plan:
    """The plan of ``observed`` as served; asserts the trimmed caches give the same."""
    trimmed = Observed(
        assertion=observed.assertion,
        configmap=configmap_fields(observed.configmap) if observed.configmap else None,
        cronjob=cronjob_fields(observed.cronjob) if observed.cronjob else None,
        jobs=[job_fields(j) for j in observed.jobs],
        report=report_fields(observed.report) if observed.report else None,
    )
    whole = plan(observed, PLAN_SETTINGS, NOW)
    assert plan(trimmed, PLAN_SETTINGS, NOW) == whole
    return whole


def test_a_scheduled_assertion_with_its_run_history_plans_alike_trimmed() -> None:
    assertion = AssertionBuilder("web").with_http("http://a/").with_spec(schedule="*/5 * * * *")
    obj = assertion.stored(uid="a1")
    obj["metadata"]["namespace"] = "ns"
    first = plan(Observed(assertion=obj), PLAN_SETTINGS, NOW)
    configmap, cronjob = (as_served(a.body, f"{a.kind}-1") for a in first.actions)
    done = {"succeeded": 1, "ready": 0, "conditions": COMPLETE, "completionTime": NOW}
    jobs = [
        scheduled_run(cronjob, 1, **done),
        scheduled_run(cronjob, 2, failed=1, conditions=FAILED),
        scheduled_run(cronjob, 3, active=1, ready=1),
    ]
    for report_of in (None, jobs[0], jobs[2]):
        report = served_report(obj, report_of) if report_of else None
        observed = Observed(obj, configmap=configmap, cronjob=cronjob, jobs=jobs, report=report)
        result = plans_alike(observed)
        assert result.actions == [] and result.status is not None


def test_a_one_shot_run_plans_alike_trimmed_until_its_result_is_taken() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="a1")
    obj["metadata"]["namespace"] = "ns"
    first = plan(Observed(assertion=obj), PLAN_SETTINGS, NOW)
    configmap, created = (as_served(a.body, f"{a.kind}-1") for a in first.actions)
    obj["status"] = {"jobName": created["metadata"]["name"]}
    finished = {**created, "status": {"succeeded": 1, "conditions": COMPLETE, "ready": 0}}
    for report in (None, served_report(obj, finished)):
        observed = Observed(obj, configmap=configmap, jobs=[finished], report=report)
        result = plans_alike(observed)
    assert [a.verb for a in result.actions] == ["delete"], "the taken run is removed"


def test_an_assertions_jobs_cronjob_and_report_share_their_labels_read_only() -> None:
    first, second = job(version="1"), job(version="2")
    assert first["metadata"]["annotations"] is second["metadata"]["annotations"]
    labels = {naming.LABEL_ASSERTION_UID: "a1"}
    kept = [
        fields({"metadata": {"name": name, "namespace": "ns", "labels": dict(labels)}})
        for fields, name in ((job_fields, "j1"), (job_fields, "j2"), (cronjob_fields, "c"))
    ]
    kept.append(report_fields({"metadata": {"name": "r", "labels": dict(labels)}}))
    assert all(k["metadata"]["labels"] == labels for k in kept)
    assert len({id(k["metadata"]["labels"]) for k in kept}) == 1
    with pytest.raises(TypeError):
        kept[0]["metadata"]["labels"]["x"] = "y"
    assert kept[3]["metadata"]["labels"] == labels


def test_finished_jobs_and_reports_alike_share_their_counts_read_only() -> None:
    first, second = job(version="1", succeeded=1), job(version="2", succeeded=1)
    assert first["status"] == {"succeeded": 1} and first["status"] is second["status"]
    failed_job = job(version="3", conditions=FAILED)
    assert failed_job["status"] == {"conditions": FAILED}  # a list inside: its own dict
    with pytest.raises(TypeError):
        first["status"]["succeeded"] = 2
    assert second["status"] == {"succeeded": 1}
    reports = [report_fields({"metadata": {"name": n}, "summary": {"pass": 1}}) for n in "ab"]
    assert reports[0]["summary"] == {"pass": 1}
    assert reports[0]["summary"] is reports[1]["summary"]
