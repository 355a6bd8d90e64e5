# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A7 (built-in status subresources) and A8 (garbage collector)."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import exists, job_manifest, wait_for, wait_gone


def test_job_status_subresource(batch, kube_namespace) -> None:
    """Real (Job strategy): create clears status; the main endpoint keeps the old status;
    /status keeps the old spec."""
    manifest = job_manifest("j", ["true"], image="busybox", suspend=True)
    manifest["status"] = {"succeeded": 5}
    job = batch.create_namespaced_job(kube_namespace, manifest)
    assert not job.status.succeeded
    job = batch.patch_namespaced_job("j", kube_namespace, {"status": {"succeeded": 7}})
    assert not job.status.succeeded
    job = batch.patch_namespaced_job_status(
        "j", kube_namespace, {"status": {"succeeded": 2}, "spec": {"backoffLimit": 1}}
    )
    assert job.status.succeeded == 2 and job.spec.backoff_limit == 6
    assert job.metadata.generation == 1


def test_pod_status_subresource(core, kube_namespace) -> None:
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "x"}})
    pod = core.create_namespaced_pod(
        kube_namespace,
        {
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "unmapped.example/none:1"}]},
        },
    )
    assert pod.status.phase == "Pending"
    out = core.patch_namespaced_pod_status(
        "p", kube_namespace, {"metadata": {"labels": {"a": "b"}}, "status": {"message": "hi"}}
    )
    assert out.status.message == "hi" and not out.metadata.labels


def _owned_config_map(owner: Any, name: str, block: bool = True) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": owner.metadata.name,
                    "uid": owner.metadata.uid,
                    "blockOwnerDeletion": block,
                }
            ],
        }
    }


def test_background_cascade_deletes_dependents(core, kube_namespace) -> None:
    """Real: owner deleted at once; the GC deletes dependents whose owners are all gone."""
    owner = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "owner"}})
    core.create_namespaced_config_map(kube_namespace, _owned_config_map(owner, "child"))
    core.delete_namespaced_config_map("owner", kube_namespace, propagation_policy="Background")
    wait_gone(
        core.read_namespaced_config_map,
        "child",
        kube_namespace,
        timeout=5,
        what="dependent deletion",
    )


def test_owner_matched_by_uid_not_name(core, kube_namespace) -> None:
    """Real: an owner with the same name but another uid counts as absent."""
    owner = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "owner"}})
    core.delete_namespaced_config_map("owner", kube_namespace)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "owner"}})
    core.create_namespaced_config_map(kube_namespace, _owned_config_map(owner, "child"))
    wait_gone(
        core.read_namespaced_config_map,
        "child",
        kube_namespace,
        timeout=5,
        what="dependent of a stale uid to go",
    )


def test_dependent_with_a_live_owner_survives_and_loses_dangling_refs(core, kube_namespace) -> None:
    """Real: "If ALL objects in the list have been deleted, this object will be garbage
    collected"; dangling refs are removed."""
    a = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "a"}})
    b = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "b"}})
    child = _owned_config_map(a, "child")
    child["metadata"]["ownerReferences"].append(
        _owned_config_map(b, "x")["metadata"]["ownerReferences"][0]
    )
    core.create_namespaced_config_map(kube_namespace, child)
    core.delete_namespaced_config_map("a", kube_namespace)
    wait_for(
        lambda: (
            [
                r.name
                for r in core.read_namespaced_config_map(
                    "child", kube_namespace
                ).metadata.owner_references
            ]
            == ["b"]
        ),
        5,
        what="dangling ref drop",
    )


def test_orphan_keeps_dependents_and_strips_owner_refs(core, kube_namespace) -> None:
    """Real: finalizer `orphan`; the GC removes the owner from dependents' ownerReferences,
    then the finalizer; the owner disappears, dependents survive."""
    owner = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "owner"}})
    core.create_namespaced_config_map(kube_namespace, _owned_config_map(owner, "child"))
    out = core.delete_namespaced_config_map("owner", kube_namespace, propagation_policy="Orphan")
    assert "orphan" in out["metadata"]["finalizers"]
    wait_gone(
        core.read_namespaced_config_map, "owner", kube_namespace, timeout=5, what="owner removal"
    )
    child = core.read_namespaced_config_map("child", kube_namespace)
    assert not child.metadata.owner_references


def test_foreground_waits_for_blocking_dependents(core, kube_namespace) -> None:
    """Real: owner keeps deletionTimestamp + foregroundDeletion until every dependent with
    blockOwnerDeletion is gone."""
    owner = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "owner"}})
    child = _owned_config_map(owner, "child")
    child["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_config_map(kube_namespace, child)
    core.delete_namespaced_config_map("owner", kube_namespace, propagation_policy="Foreground")
    wait_for(
        lambda: (
            core.read_namespaced_config_map("child", kube_namespace).metadata.deletion_timestamp
        ),
        5,
        what="dependent marked for deletion",
    )
    held = core.read_namespaced_config_map("owner", kube_namespace)
    assert held.metadata.deletion_timestamp and "foregroundDeletion" in held.metadata.finalizers
    core.patch_namespaced_config_map("child", kube_namespace, {"metadata": {"finalizers": None}})
    wait_gone(
        core.read_namespaced_config_map,
        "owner",
        kube_namespace,
        timeout=5,
        what="owner removal after dependents",
    )


@pytest.mark.e2e  # starts a process
def test_job_delete_without_policy_orphans_pods(core, batch, kube_namespace) -> None:
    """Real: batch/v1 Job's default policy is Orphan: `delete_namespaced_job(name, ns)` leaves
    the Pods (and strips the Job from their ownerReferences)."""
    batch.create_namespaced_job(kube_namespace, job_manifest("j", ["sleep", "30"], image="busybox"))
    pods = wait_for(lambda: core.list_namespaced_pod(kube_namespace).items, 5, what="pod")
    batch.delete_namespaced_job("j", kube_namespace)
    wait_gone(batch.read_namespaced_job, "j", kube_namespace, timeout=5, what="job removal")
    pod = core.read_namespaced_pod(pods[0].metadata.name, kube_namespace)
    assert not pod.metadata.owner_references
    core.delete_namespaced_pod(pod.metadata.name, kube_namespace, grace_period_seconds=0)


@pytest.mark.e2e  # starts a process
def test_job_delete_background_removes_pods(core, batch, kube_namespace) -> None:
    batch.create_namespaced_job(kube_namespace, job_manifest("j", ["sleep", "30"], image="busybox"))
    wait_for(lambda: core.list_namespaced_pod(kube_namespace).items, 5, what="pod")
    batch.delete_namespaced_job(
        "j", kube_namespace, propagation_policy="Background", grace_period_seconds=0
    )
    wait_for(lambda: not core.list_namespaced_pod(kube_namespace).items, 10, what="pods gone")


def test_namespace_delete_cascades(core, kubesim) -> None:
    """Real: a deleted namespace is Terminating, refuses new content (403), and goes away
    once its content is deleted."""
    core.create_namespace({"metadata": {"name": "doomed"}})
    core.create_namespaced_config_map(
        "doomed", {"metadata": {"name": "c", "finalizers": ["example.com/hold"]}}
    )
    core.delete_namespace("doomed")
    assert core.read_namespace("doomed").status.phase == "Terminating"
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("doomed", {"metadata": {"name": "new"}})
    assert err.value.status == 403
    core.patch_namespaced_config_map("c", "doomed", {"metadata": {"finalizers": None}})
    wait_gone(core.read_namespace, "doomed", timeout=5, what="namespace removal")


def test_default_service_account_is_created(core, kube_namespace) -> None:
    wait_for(
        lambda: exists(core.read_namespaced_service_account, "default", kube_namespace),
        5,
        what="default service account",
    )
