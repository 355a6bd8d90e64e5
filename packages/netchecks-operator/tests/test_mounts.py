"""A probe Pod waiting for a missing ConfigMap or Secret: named in status and an Event."""

from __future__ import annotations

import json
from typing import Any

from netchecks_operator.mounts import pod_of_job
from netchecks_operator.plan import Observed, Plan, plan
from netchecks_operator.settings import OperatorSettings

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:00Z"
JOB = "web-netchecks-g1"
SECRET_MISSING = 'MountVolume.SetUp failed for volume "ctx-creds" : secret "db-creds" not found'


def _stored_job(body: dict[str, Any], **status: Any) -> dict[str, Any]:
    job: dict[str, Any] = json.loads(json.dumps(body))
    job["metadata"].update(uid="job-uid", resourceVersion="5", creationTimestamp=NOW)
    job["status"] = status
    return job


def _run(failures: list[tuple[str, str]], **job_status: Any) -> Plan:
    obj = (
        AssertionBuilder("web")
        .with_internal()
        .with_context("creds", secret={"name": "db-creds"})
        .stored()
    )
    first = plan(Observed(assertion=obj), OperatorSettings().plan_settings(), NOW)
    job_body = next(a.body for a in first.actions if a.kind == "Job")
    assert job_body is not None
    obj["status"] = first.status
    observed = Observed(
        assertion=obj, jobs=[_stored_job(job_body, **job_status)], mount_failures=failures
    )
    return plan(observed, OperatorSettings().plan_settings(), NOW)


def test_pods_are_matched_to_their_job_by_the_job_controllers_naming() -> None:
    assert pod_of_job(f"{JOB}-x7k2p", JOB)
    assert not pod_of_job(f"{JOB}-x7k2", JOB)
    assert not pod_of_job(f"{JOB}2-x7k2p", JOB)
    long_job = "j" * 60
    assert pod_of_job("j" * 58 + "abcde", long_job)  # generateName keeps 58 characters


def test_a_missing_secret_names_it_and_its_context_in_status_and_event() -> None:
    result = _run([(f"{JOB}-x7k2p", SECRET_MISSING)], active=1)
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "ContextNotFound")
    assert cond["message"].startswith('Secret "db-creds" of context "creds" not found')
    notes = [e for e in result.events if e.reason == "ContextNotFound"]
    assert [n.type for n in notes] == ["Warning"] and notes[0].message == cond["message"]


def test_failures_of_other_jobs_pods_and_of_started_pods_are_ignored() -> None:
    other = _run([("other-netchecks-g1-x7k2p", SECRET_MISSING)], active=1)
    assert other.status["conditions"][0]["reason"] == "Progressing"  # type: ignore[index]
    started = _run([(f"{JOB}-x7k2p", SECRET_MISSING)], active=1, ready=1)
    assert started.status["conditions"][0]["reason"] == "Progressing"  # type: ignore[index]


def test_a_run_that_failed_waiting_still_names_the_missing_object() -> None:
    result = _run(
        [(f"{JOB}-x7k2p", SECRET_MISSING)],
        failed=1,
        conditions=[{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}],
    )
    cond = result.status["conditions"][0]  # type: ignore[index]
    assert cond["reason"] == "ContextNotFound" and '"db-creds"' in cond["message"]


def test_another_mount_failure_is_quoted() -> None:
    message = 'MountVolume.SetUp failed for volume "extra" : something else broke'
    result = _run([(f"{JOB}-x7k2p", message)], active=1)
    cond = result.status["conditions"][0]  # type: ignore[index]
    assert cond["message"] == f"the probe Pod cannot mount a volume: {message}"
