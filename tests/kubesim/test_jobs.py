# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A9: the Job controller, observed through the official client."""

from __future__ import annotations

import pytest
from kubernetes import client

from tools.kubesim.testing import job_manifest, wait_for, wait_gone

TRACKING = "batch.kubernetes.io/job-tracking"


def _finished(batch: client.BatchV1Api, name: str, ns: str) -> client.V1Job | None:
    job = batch.read_namespaced_job(name, ns)
    types = {c.type for c in job.status.conditions or [] if c.status == "True"}
    return job if types & {"Complete", "Failed"} else None


def test_defaults_selector_and_labels_at_create(batch, kube_namespace) -> None:
    """Real (generateSelector): controller-uid/job-name labels on the template, selector on
    batch.kubernetes.io/controller-uid, defaults parallelism/completions/backoffLimit/..."""
    job = batch.create_namespaced_job(
        kube_namespace, job_manifest("j", ["true"], image="busybox", suspend=True)
    )
    uid = job.metadata.uid
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    labels = job.spec.template.metadata.labels
    assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "j"
    assert labels["controller-uid"] == uid
    assert (job.spec.parallelism, job.spec.completions, job.spec.backoff_limit) == (1, 1, 6)
    assert job.spec.completion_mode == "NonIndexed"
    assert job.spec.pod_replacement_policy == "TerminatingOrFailed"
    assert job.metadata.labels["job-name"] == "j"


def test_restart_policy_always_is_rejected(batch, kube_namespace) -> None:
    manifest = job_manifest("j", ["true"], image="busybox")
    manifest["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    with pytest.raises(client.ApiException) as err:
        batch.create_namespaced_job(kube_namespace, manifest)
    assert err.value.status == 422
    assert "spec.template.spec.restartPolicy: Unsupported value" in err.value.body


def test_successful_job(core, batch, kube_namespace) -> None:
    """Real: pods `<job>-xxxxx` with a controller ref and the tracking finalizer (removed
    once counted); SuccessCriteriaMet then Complete (CompletionsReached); completionTime;
    events SuccessfulCreate and Completed."""
    batch.create_namespaced_job(kube_namespace, job_manifest("ok", ["python", "-c", "print(1)"]))
    job = wait_for(lambda: _finished(batch, "ok", kube_namespace), 10, what="job to finish")
    types = [(c.type, c.reason) for c in job.status.conditions]
    assert types == [
        ("SuccessCriteriaMet", "CompletionsReached"),
        ("Complete", "CompletionsReached"),
    ]
    assert job.status.succeeded == 1 and not job.status.failed and job.status.active == 0
    assert job.status.start_time and job.status.completion_time
    assert job.status.ready == 0 and job.status.terminating == 0
    pod = core.list_namespaced_pod(kube_namespace, label_selector="job-name=ok").items[0]
    assert pod.metadata.name.startswith("ok-") and len(pod.metadata.name) == 8
    ref = pod.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.controller, ref.block_owner_deletion) == (
        "Job",
        "ok",
        True,
        True,
    )
    wait_for(
        lambda: (
            TRACKING
            not in (
                core.read_namespaced_pod(pod.metadata.name, kube_namespace).metadata.finalizers
                or []
            )
        ),
        5,
        what="finalizer",
    )

    def reasons() -> set[str]:
        events = core.list_namespaced_event(kube_namespace).items
        return {e.reason for e in events if e.involved_object.name == "ok"}

    wait_for(lambda: {"SuccessfulCreate", "Completed"} <= reasons(), 5, what="events")


def test_backoff_limit_exceeded(batch, kube_namespace) -> None:
    """Real: failed pods > backoffLimit -> FailureTarget then Failed (BackoffLimitExceeded);
    no completionTime on failure."""
    batch.create_namespaced_job(
        kube_namespace, job_manifest("bad", ["sh", "-c", "exit 3"], image="busybox", backoffLimit=1)
    )
    job = wait_for(lambda: _finished(batch, "bad", kube_namespace), 10, what="job to fail")
    types = [(c.type, c.reason) for c in job.status.conditions]
    assert types == [("FailureTarget", "BackoffLimitExceeded"), ("Failed", "BackoffLimitExceeded")]
    assert job.status.failed == 2 and not job.status.succeeded
    assert job.status.completion_time is None


def test_active_deadline_exceeded(core, batch, kube_namespace) -> None:
    """Real: activeDeadlineSeconds takes precedence: running pods are killed and the Job
    fails with DeadlineExceeded."""
    batch.create_namespaced_job(
        kube_namespace,
        job_manifest("slow", ["sleep", "30"], image="busybox", activeDeadlineSeconds=1),
    )
    job = wait_for(lambda: _finished(batch, "slow", kube_namespace), 10, what="deadline")
    assert [c.reason for c in job.status.conditions] == ["DeadlineExceeded", "DeadlineExceeded"]
    assert job.status.active == 0


def test_parallel_completions(batch, kube_namespace) -> None:
    batch.create_namespaced_job(
        kube_namespace,
        job_manifest("many", ["true"], image="busybox", completions=3, parallelism=2),
    )
    job = wait_for(lambda: _finished(batch, "many", kube_namespace), 10, what="completions")
    assert job.status.succeeded == 3


def test_suspend_and_resume(core, batch, kube_namespace) -> None:
    """Real: a suspended Job has condition Suspended and no pods; resume creates them."""
    batch.create_namespaced_job(
        kube_namespace, job_manifest("s", ["true"], image="busybox", suspend=True)
    )
    job = wait_for(
        lambda: [
            c
            for c in (batch.read_namespaced_job("s", kube_namespace).status.conditions or [])
            if c.type == "Suspended"
        ],
        5,
        what="Suspended condition",
    )
    assert job[0].status == "True"
    assert not core.list_namespaced_pod(kube_namespace).items
    batch.patch_namespaced_job("s", kube_namespace, {"spec": {"suspend": False}})
    wait_for(lambda: _finished(batch, "s", kube_namespace), 10, what="resumed job to finish")


def test_ttl_after_finished_deletes_job_and_pods(core, batch, kube_namespace) -> None:
    batch.create_namespaced_job(
        kube_namespace, job_manifest("ttl", ["true"], image="busybox", ttlSecondsAfterFinished=0)
    )

    wait_gone(batch.read_namespaced_job, "ttl", kube_namespace)
    wait_for(lambda: not core.list_namespaced_pod(kube_namespace).items, 10, what="pods gone")


def test_backoff_delays_recreation(make_kubesim) -> None:
    """Real: failed pods are recreated with exponential back-off (configurable here)."""
    import time

    sim = make_kubesim(job_backoff_base=0.6)
    jobs = sim.api.resource("batch", "v1", "jobs")
    sim.api.create(
        jobs, "default", job_manifest("b", ["sh", "-c", "exit 1"], image="busybox", backoffLimit=1)
    )
    start = time.monotonic()
    wait_for(
        lambda: any(
            c["type"] == "Failed"
            for c in (sim.api.get(jobs, "default", "b").get("status") or {}).get("conditions") or []
        ),
        10,
        what="failure",
    )
    assert time.monotonic() - start >= 0.6


def test_indexed_job(core, batch, kube_namespace) -> None:
    """Real (completionMode Indexed): pods `<job>-<i>-xxxxx` with the completion-index
    annotation and JOB_COMPLETION_INDEX; status.completedIndexes `0-2`."""
    script = "import os; print(os.environ['JOB_COMPLETION_INDEX'])"
    batch.create_namespaced_job(
        kube_namespace,
        job_manifest(
            "idx", ["python", "-c", script], completions=3, parallelism=3, completionMode="Indexed"
        ),
    )
    job = wait_for(lambda: _finished(batch, "idx", kube_namespace), 10, what="indexed job")
    assert job.status.completed_indexes == "0-2" and job.status.succeeded == 3
    pods = core.list_namespaced_pod(kube_namespace, label_selector="job-name=idx").items
    logs = {}
    for pod in pods:
        index = pod.metadata.annotations["batch.kubernetes.io/job-completion-index"]
        assert pod.metadata.name.startswith(f"idx-{index}-")
        logs[index] = core.read_namespaced_pod_log(pod.metadata.name, kube_namespace).strip()
    assert logs == {"0": "0", "1": "1", "2": "2"}
