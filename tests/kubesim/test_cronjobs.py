# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A10 (+B7 time travel): the CronJob controller with an injectable clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of, job_manifest, wait_for


def cronjob(
    name: str, command: list[str], schedule: str = "*/1 * * * *", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            **spec,
            "jobTemplate": {
                "metadata": {"labels": {"from": name}, "annotations": {"note": "x"}},
                "spec": job_manifest(name, command, image="busybox")["spec"],
            },
        },
    }


def _jobs(batch: client.BatchV1Api, ns: str) -> list[client.V1Job]:
    return sorted(batch.list_namespaced_job(ns).items, key=lambda j: j.metadata.name)


def _events(kube_api: client.ApiClient, ns: str, name: str) -> list[str]:
    return [
        e.reason
        for e in client.CoreV1Api(kube_api).list_namespaced_event(ns).items
        if e.involved_object.name == name
    ]


def test_defaults_and_validation(batch, kube_namespace) -> None:
    """Real: concurrencyPolicy Allow, history limits 3/1; bad schedules, TZ= in the schedule
    and unknown time zones are 422."""
    cj = batch.create_namespaced_cron_job(kube_namespace, cronjob("d", ["true"], suspend=True))
    assert cj.spec.concurrency_policy == "Allow"
    assert (cj.spec.successful_jobs_history_limit, cj.spec.failed_jobs_history_limit) == (3, 1)
    for bad in (
        {"schedule": "not a cron"},
        {"schedule": "TZ=UTC * * * * *"},
        {"timeZone": "Mars/Olympus"},
    ):
        body = cronjob("bad", ["true"])
        body["spec"].update(bad)
        with pytest.raises(client.ApiException) as err:
            batch.create_namespaced_cron_job(kube_namespace, body)
        assert err.value.status == 422, bad
    with pytest.raises(client.ApiException) as err:
        batch.create_namespaced_cron_job(kube_namespace, cronjob("x" * 53, ["true"]))
    assert body_of(err.value)["details"]["causes"][0]["field"] == "metadata.name"


def test_an_update_is_defaulted_like_a_create(batch, kube_namespace) -> None:
    """Real: every decoded object is defaulted, so a PUT that leaves out ``suspend`` and
    the history limits stores them defaulted again (and the generation stays)."""
    created = batch.create_namespaced_cron_job(kube_namespace, cronjob("u", ["true"]))
    body = cronjob("u", ["true"])
    body["metadata"]["resourceVersion"] = created.metadata.resource_version
    updated = batch.replace_namespaced_cron_job("u", kube_namespace, body)
    assert updated.spec.suspend is False
    assert updated.spec.successful_jobs_history_limit == 3
    assert updated.metadata.generation == created.metadata.generation


def test_schedule_fires_when_the_clock_advances(kubesim, kube_api, batch, kube_namespace) -> None:
    """Real: job `<cj>-<unix minutes>`, labels/annotations from the template plus the
    scheduled-timestamp annotation, controller ownerRef; status.active and lastScheduleTime;
    after success lastSuccessfulTime, and active empties."""
    batch.create_namespaced_cron_job(kube_namespace, cronjob("tick", ["true"]))
    kubesim.clock.advance(61)
    jobs = wait_for(lambda: _jobs(batch, kube_namespace), 10, what="scheduled job")
    job = jobs[0]
    cj = wait_for(
        lambda: (lambda c: c if c.status.last_schedule_time else None)(
            batch.read_namespaced_cron_job("tick", kube_namespace)
        ),
        10,
        what="lastScheduleTime",
    )
    scheduled = cj.status.last_schedule_time
    assert job.metadata.name == f"tick-{int(scheduled.timestamp()) // 60}"
    assert job.metadata.labels["from"] == "tick" and job.metadata.annotations["note"] == "x"
    stamp = job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert datetime.fromisoformat(stamp) == scheduled
    ref = job.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.controller) == ("CronJob", "tick", True)
    wait_for(
        lambda: batch.read_namespaced_cron_job("tick", kube_namespace).status.last_successful_time,
        10,
        what="lastSuccessfulTime",
    )
    final = wait_for(
        lambda: (lambda c: c if not c.status.active else None)(
            batch.read_namespaced_cron_job("tick", kube_namespace)
        ),
        10,
        what="active to empty",
    )
    assert final.status.last_successful_time >= scheduled
    assert "SuccessfulCreate" in _events(kube_api, kube_namespace, "tick")


def test_trigger_runs_now(kubesim, batch, kube_namespace) -> None:
    """Like `kubectl create job --from=cronjob/x`: a Job from the template, right now."""
    batch.create_namespaced_cron_job(
        kube_namespace, cronjob("manual", ["true"], schedule="0 0 1 1 *")
    )
    job = kubesim.controllers.cronjobs.trigger(kube_namespace, "manual", "manual-now")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    got = batch.read_namespaced_job("manual-now", kube_namespace)
    assert got.metadata.owner_references[0].name == "manual"


def test_forbid_skips_while_a_job_is_active(kubesim, kube_api, batch, kube_namespace) -> None:
    batch.create_namespaced_cron_job(
        kube_namespace, cronjob("forbid", ["sleep", "30"], concurrencyPolicy="Forbid")
    )
    kubesim.clock.advance(61)
    wait_for(lambda: _jobs(batch, kube_namespace), 10, what="first job")
    kubesim.clock.advance(61)
    wait_for(
        lambda: "JobAlreadyActive" in _events(kube_api, kube_namespace, "forbid"),
        10,
        what="JobAlreadyActive",
    )
    assert len(_jobs(batch, kube_namespace)) == 1


def test_replace_deletes_the_active_job(kubesim, batch, kube_namespace) -> None:
    batch.create_namespaced_cron_job(
        kube_namespace, cronjob("replace", ["sleep", "30"], concurrencyPolicy="Replace")
    )
    kubesim.clock.advance(61)
    first = wait_for(lambda: _jobs(batch, kube_namespace), 10, what="first job")[0]
    kubesim.clock.advance(61)

    def replaced() -> bool:
        names = [
            j.metadata.name
            for j in _jobs(batch, kube_namespace)
            if not j.metadata.deletion_timestamp
        ]
        return bool(names) and first.metadata.name not in names

    wait_for(replaced, 10, what="replacement")
    # The controller writes status after creating the replacement.
    wait_for(
        lambda: (
            [
                a.name
                for a in batch.read_namespaced_cron_job("replace", kube_namespace).status.active
                or []
            ]
            not in ([], [first.metadata.name])
        ),
        10,
        what="status.active to name the replacement",
    )


def test_suspend_creates_nothing(kubesim, batch, kube_namespace) -> None:
    import time

    batch.create_namespaced_cron_job(kube_namespace, cronjob("sleepy", ["true"], suspend=True))
    kubesim.clock.advance(61)
    time.sleep(0.3)
    assert _jobs(batch, kube_namespace) == []


def test_history_limits_delete_oldest(kubesim, batch, kube_namespace) -> None:
    batch.create_namespaced_cron_job(
        kube_namespace, cronjob("hist", ["true"], successfulJobsHistoryLimit=1)
    )
    names: set[str] = set()
    for _ in range(3):
        kubesim.clock.advance(61)

        def new_complete(known: set[str] = names) -> bool:
            jobs = _jobs(batch, kube_namespace)
            done = {j.metadata.name for j in jobs if j.status.succeeded}
            return bool(done - known)

        wait_for(new_complete, 10, what="next run to complete")
        names |= {j.metadata.name for j in _jobs(batch, kube_namespace)}
    wait_for(
        lambda: (
            len([j for j in _jobs(batch, kube_namespace) if not j.metadata.deletion_timestamp]) == 1
        ),
        10,
        what="history cleanup",
    )


def test_too_many_missed_starts_only_the_latest(kubesim, kube_api, batch, kube_namespace) -> None:
    """Real: more than 100 missed times -> Warning TooManyMissedTimes; only the most recent
    missed time is started."""
    batch.create_namespaced_cron_job(kube_namespace, cronjob("missed", ["true"], suspend=True))
    kubesim.clock.advance(200 * 60)
    batch.patch_namespaced_cron_job("missed", kube_namespace, {"spec": {"suspend": False}})
    wait_for(
        lambda: "TooManyMissedTimes" in _events(kube_api, kube_namespace, "missed"),
        10,
        what="TooManyMissedTimes",
    )
    jobs = wait_for(lambda: _jobs(batch, kube_namespace), 10, what="one job")
    assert len(jobs) == 1


def test_time_zone_and_set_clock(make_kubesim) -> None:
    """spec.timeZone: the schedule is read in that zone; the annotation is in that zone."""
    sim = make_kubesim()
    sim.clock.set(datetime(2030, 1, 1, 23, 58, tzinfo=UTC))  # 08:58 in Tokyo
    rt = sim.api.resource("batch", "v1", "cronjobs")
    sim.api.create(
        rt, "default", cronjob("tz", ["true"], schedule="0 9 * * *", timeZone="Asia/Tokyo")
    )
    sim.clock.advance(180)
    jobs_rt = sim.api.resource("batch", "v1", "jobs")
    job = wait_for(lambda: sim.api.list(jobs_rt, "default")["items"], 10, what="job")[0]
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert stamp == "2030-01-02T09:00:00+09:00"
    assert (
        job["metadata"]["name"]
        == f"tz-{int(datetime(2030, 1, 2, 0, 0, tzinfo=UTC).timestamp()) // 60}"
    )


def test_starting_deadline_skips_runs_missed_for_too_long(make_kubesim) -> None:
    """Real: with startingDeadlineSeconds, a schedule missed by more than the deadline is
    not started late; the next one within the deadline is."""
    import time

    sim = make_kubesim()
    sim.clock.set(datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC))
    sim.faults.pause_controller("cronjob-controller")
    cjs = sim.api.resource("batch", "v1", "cronjobs")
    jobs = sim.api.resource("batch", "v1", "jobs")
    sim.api.create(
        cjs,
        "default",
        cronjob("late", ["true"], schedule="*/5 * * * *", startingDeadlineSeconds=10),
    )
    sim.clock.set(datetime(2030, 1, 1, 0, 5, 20, tzinfo=UTC))
    sim.faults.resume_controller("cronjob-controller")
    time.sleep(0.3)
    assert sim.api.list(jobs, "default")["items"] == []
    sim.clock.set(datetime(2030, 1, 1, 0, 10, 5, tzinfo=UTC))
    job = wait_for(lambda: sim.api.list(jobs, "default")["items"], 10, what="on-time job")[0]
    minute = int(datetime(2030, 1, 1, 0, 10, tzinfo=UTC).timestamp()) // 60
    assert job["metadata"]["name"] == f"late-{minute}"
