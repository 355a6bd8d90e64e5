"""Which Pods are runs of the operator: the controller chain, checked against caches."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from netchecks_results.trust import Provenance, trace
from netchecks_results.untrusted import UntrustedPods

from tools.builders import (
    AssertionBuilder,
    controller_reference,
    probe_job,
    probe_pod,
)

Obj = dict[str, Any]


class FakeCaches:
    """Cached Jobs and CronJobs by (namespace, name)."""

    def __init__(self, *objects: Obj) -> None:
        self.store = {
            (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects
        }

    def job(self, namespace: str, name: str) -> Obj | None:
        return self.store.get(("Job", namespace, name))

    def cronjob(self, namespace: str, name: str) -> Obj | None:
        return self.store.get(("CronJob", namespace, name))


def cronjob_of(assertion: Obj, owner: Obj | None = None) -> Obj:
    meta = assertion["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": f"{meta['name']}-netchecks",
            "namespace": meta["namespace"],
            "uid": str(uuid.uuid4()),
            "ownerReferences": [controller_reference(owner or assertion)],
        },
    }


def test_pod_of_a_one_shot_job_of_the_assertion_is_a_run() -> None:
    a = AssertionBuilder("web").with_rule("internal").stored()
    job = probe_job(a)
    proof = trace(probe_pod(a, job=job), FakeCaches(job))
    assert isinstance(proof, Provenance)
    assert (proof.assertion_name, proof.assertion_uid) == ("web", a["metadata"]["uid"])


def test_pod_of_a_job_of_the_assertions_cronjob_is_a_run() -> None:
    a = AssertionBuilder("web").with_rule("internal").stored()
    cronjob = cronjob_of(a)
    job = probe_job(a, name="web-netchecks-29000000", owner=cronjob)
    assert isinstance(trace(probe_pod(a, job=job), FakeCaches(cronjob, job)), Provenance)


def test_pod_with_probe_labels_and_no_owner_is_not_a_run() -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    pod = probe_pod(a)
    pod["metadata"]["ownerReferences"] = []
    assert trace(pod, FakeCaches()) == "no-controller"


def test_pod_naming_a_job_no_cache_holds_is_not_a_run() -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    assert trace(probe_pod(a, job_name="web-netchecks-g1"), FakeCaches()) == "unknown-job"


def test_pod_naming_a_cached_job_by_name_but_not_by_uid_is_not_a_run() -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    job = probe_job(a)
    impostor = {**job, "metadata": {**job["metadata"], "uid": str(uuid.uuid4())}}
    assert trace(probe_pod(a, job=impostor), FakeCaches(job)) == "unknown-job"


def test_pod_of_a_hand_made_job_without_the_assertion_as_controller_is_not_a_run() -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    job = probe_job(a)
    job["metadata"]["ownerReferences"] = []
    assert trace(probe_pod(a, job=job), FakeCaches(job)) == "foreign-job"


def test_pod_of_a_job_of_a_hand_made_cronjob_is_not_a_run() -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    cronjob = cronjob_of(a)
    cronjob["metadata"]["ownerReferences"] = []
    job = probe_job(a, owner=cronjob)
    assert trace(probe_pod(a, job=job), FakeCaches(cronjob, job)) == "foreign-cronjob"
    assert trace(probe_pod(a, job=job), FakeCaches(job)) == "unknown-cronjob"


def test_pod_whose_chain_reaches_another_assertion_than_its_label_is_not_a_run() -> None:
    mine = AssertionBuilder("mine").with_rule("internal").stored()
    victim = AssertionBuilder("victim").with_rule("internal").stored(uid="uid-2")
    job = probe_job(mine)
    pod = probe_pod(victim, job=job)
    assert trace(pod, FakeCaches(job)) == "wrong-uid"


class Counted:
    def __init__(self) -> None:
        self.added: list[tuple[int, dict[str, str]]] = []

    def add(self, amount: int, attributes: dict[str, str]) -> None:
        self.added.append((amount, attributes))


def test_untrusted_pods_are_counted_once_each_and_logged_at_a_bounded_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a = AssertionBuilder().with_rule("internal").stored()
    now = [0.0]
    counter = Counted()
    recorder = UntrustedPods(counter, burst=2, period=60.0, clock=lambda: now[0])  # type: ignore[arg-type]
    pods = [probe_pod(a, name=f"forged-{i}") for i in range(5)]
    with caplog.at_level(logging.WARNING):
        for pod in pods + pods:
            recorder.record(pod, "no-controller")
        now[0] = 61.0
        recorder.record(probe_pod(a, name="forged-late"), "no-controller")
    assert counter.added == [(1, {"reason": "no-controller"})] * 6
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "forged-0" in lines[0] and "forged-1" in lines[1]
    assert "forged-late" in lines[2] and "3 more such Pods not logged" in lines[2]
