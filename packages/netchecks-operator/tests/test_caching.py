"""What the operator's caches keep and which Job updates wake a reconcile (pure)."""

from __future__ import annotations

import copy
from typing import Any

from netchecks_operator.caching import (
    job_fields,
    job_update_matters,
    metadata_only,
    report_fields,
)
from netchecks_operator.children import ANNOTATION_RUN


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
    assert metadata_only(configmap) == {
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {"netchecks.io/spec-hash": "abc"}},
    }


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
    assert scheduled["status"] == {"succeeded": 1, "conditions": []}
    failed = job(conditions=FAILED)
    assert failed["status"]["conditions"] == FAILED
    once = job("once", succeeded=1, conditions=success, completionTime="t")
    assert once["status"] == {"succeeded": 1, "conditions": COMPLETE, "completionTime": "t"}


def test_a_job_keeps_only_our_labels_and_annotations() -> None:
    raw = job()
    raw["metadata"]["labels"] = {"netchecks.io/assertion-uid": "a1", "job-name": "x"}
    raw["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] = "manual"
    kept = job_fields(raw)
    assert kept["metadata"]["labels"] == {"netchecks.io/assertion-uid": "a1"}
    assert kept["metadata"]["annotations"] == {"netchecks.io/assertion": "web"}
