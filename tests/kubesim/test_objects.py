# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A3-A4: metadata rules and the verbs, driven through the official client."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of, job_manifest, pod_manifest

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def test_create_answers_201_with_server_fields(kube_api, kube_namespace) -> None:
    """Real: POST answers 201 with uid, string resourceVersion, RFC 3339 'Z' second-precision
    creationTimestamp, and generation 1 for types with a spec."""
    core = client.CoreV1Api(kube_api)
    cm, code, _ = core.create_namespaced_config_map_with_http_info(
        kube_namespace, {"metadata": {"name": "c"}, "data": {"a": "1"}}
    )
    assert code == 201
    uuid.UUID(cm.metadata.uid)
    assert cm.metadata.resource_version.isdigit()
    job = client.BatchV1Api(kube_api).create_namespaced_job(
        kube_namespace, job_manifest("j", ["true"], image="busybox", suspend=True)
    )
    assert job.metadata.generation == 1
    raw = client.CoreV1Api(kube_api).read_namespaced_config_map(
        "c", kube_namespace, _preload_content=False
    )
    text = raw.data
    assert re.search(rb'"creationTimestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', text)


def test_resource_version_is_one_global_increasing_counter(core, kube_namespace) -> None:
    """Real: etcd's single revision orders every write of every type."""
    a = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "a"}})
    b = core.create_namespaced_secret(kube_namespace, {"metadata": {"name": "b"}})
    c = core.patch_namespaced_config_map("a", kube_namespace, {"data": {"x": "y"}})
    rvs = [int(x.metadata.resource_version) for x in (a, b, c)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3


def test_noop_write_keeps_resource_version(core, kube_namespace) -> None:
    """Real: a write whose result is byte-identical does not write: same RV, no event."""
    a = core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "a"}, "data": {"k": "v"}}
    )
    b = core.patch_namespaced_config_map("a", kube_namespace, {"data": {"k": "v"}})
    c = core.replace_namespaced_config_map("a", kube_namespace, b)
    assert a.metadata.resource_version == b.metadata.resource_version == c.metadata.resource_version


def test_generate_name_uses_the_kubernetes_alphabet(core, kube_namespace) -> None:
    """Real: base[:58] + 5 chars from bcdfghjklmnpqrstvwxz2456789."""
    cm = core.create_namespaced_config_map(kube_namespace, {"metadata": {"generateName": "x" * 70}})
    assert cm.metadata.name[:58] == "x" * 58 and len(cm.metadata.name) == 63
    assert all(ch in ALPHABET for ch in cm.metadata.name[58:])


def test_missing_name_is_422(core, kube_namespace) -> None:
    """Real: no name and no generateName -> 422 metadata.name Required value."""
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(kube_namespace, {"metadata": {}})
    assert err.value.status == 422
    assert body_of(err.value)["details"]["causes"][0]["field"] == "metadata.name"


def test_create_with_resource_version_is_500(core, kube_namespace) -> None:
    """Real: setting metadata.resourceVersion on create fails with HTTP 500."""
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(
            kube_namespace, {"metadata": {"name": "c", "resourceVersion": "5"}}
        )
    assert err.value.status == 500
    assert (
        body_of(err.value)["message"]
        == "resourceVersion should not be set on objects to be created"
    )


def test_create_duplicate_is_409_already_exists(core, kube_namespace) -> None:
    """Real: 409 AlreadyExists, details.kind is the plural resource."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    body = body_of(err.value)
    assert (err.value.status, body["reason"], body["code"]) == (409, "AlreadyExists", 409)
    assert body["message"] == 'configmaps "c" already exists'
    assert body["details"] == {"name": "c", "kind": "configmaps"}


def test_get_missing_is_404_status_with_code(batch, kube_namespace) -> None:
    """Real: 404 NotFound with `jobs.batch "x" not found` and details {name, group, kind}."""
    with pytest.raises(client.ApiException) as err:
        batch.read_namespaced_job("nope", kube_namespace)
    body = body_of(err.value)
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'jobs.batch "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "batch", "kind": "jobs"},
        "code": 404,
    }


def test_create_in_missing_namespace_is_404(core) -> None:
    """Real (NamespaceLifecycle): namespaces "x" not found."""
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "c"}})
    assert err.value.status == 404
    assert body_of(err.value)["message"] == 'namespaces "no-such-ns" not found'


def test_namespace_mismatch_is_400(core, kube_namespace) -> None:
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(
            kube_namespace, {"metadata": {"name": "c", "namespace": "other"}}
        )
    assert err.value.status == 400
    assert "does not match the namespace sent on the request" in body_of(err.value)["message"]


def test_put_with_stale_resource_version_is_409_conflict(core, kube_namespace) -> None:
    """Real: 409 Conflict `Operation cannot be fulfilled on ...`."""
    cm = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    core.patch_namespaced_config_map("c", kube_namespace, {"data": {"a": "b"}})
    cm.data = {"x": "y"}
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("c", kube_namespace, cm)
    body = body_of(err.value)
    assert (err.value.status, body["reason"]) == (409, "Conflict")
    assert body["message"].startswith(
        'Operation cannot be fulfilled on configmaps "c": the object has been modified'
    )


def test_put_without_resource_version_overwrites_builtins(core, kube_namespace) -> None:
    """Real: built-ins allow unconditional update."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    out = core.replace_namespaced_config_map(
        "c", kube_namespace, {"metadata": {"name": "c"}, "data": {"a": "1"}}
    )
    assert out.data == {"a": "1"}


def test_put_name_mismatch_and_missing_object(core, kube_namespace) -> None:
    """Real: name differs from URL -> 400; PUT of a missing object -> 404."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("c", kube_namespace, {"metadata": {"name": "d"}})
    assert err.value.status == 400
    assert body_of(err.value)["message"] == (
        "the name of the object (d) does not match the name on the URL (c)"
    )
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("zz", kube_namespace, {"metadata": {"name": "zz"}})
    assert err.value.status == 404


def test_uid_and_creation_timestamp_cannot_change(core, kube_namespace) -> None:
    cm = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    body = {
        "metadata": {
            "name": "c",
            "uid": str(uuid.uuid4()),
            "creationTimestamp": "2000-01-01T00:00:00Z",
        }
    }
    out = core.replace_namespaced_config_map("c", kube_namespace, body)
    assert out.metadata.uid == cm.metadata.uid
    assert out.metadata.creation_timestamp == cm.metadata.creation_timestamp


def test_generation_bumps_only_on_spec_change_for_builtins(batch, kube_namespace) -> None:
    """Real (Job strategy): generation += 1 only when .spec changes."""
    batch.create_namespaced_job(
        kube_namespace, job_manifest("j", ["true"], image="busybox", suspend=True)
    )
    labelled = batch.patch_namespaced_job("j", kube_namespace, {"metadata": {"labels": {"a": "b"}}})
    assert labelled.metadata.generation == 1
    changed = batch.patch_namespaced_job("j", kube_namespace, {"spec": {"backoffLimit": 2}})
    assert changed.metadata.generation == 2


@pytest.mark.e2e  # starts a process
def test_quantities_are_strings(kubesim, core, kube_namespace) -> None:
    """Real: numeric quantities are canonicalised to strings (the client model rejects ints,
    so the body is sent raw, as kubectl or another client might)."""
    import json
    import urllib.request

    manifest = pod_manifest("p", ["true"], image="busybox")
    manifest["spec"]["containers"][0]["resources"] = {"limits": {"cpu": 1, "memory": "64Mi"}}
    req = urllib.request.Request(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/pods",
        data=json.dumps(manifest).encode(),
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5):
        pass
    pod = core.read_namespaced_pod("p", kube_namespace)
    assert pod.spec.containers[0].resources.limits == {"cpu": "1", "memory": "64Mi"}


def test_patch_media_types(core, kube_namespace) -> None:
    """Real: a dict body is sent as strategic merge, a list as JSON patch; merge-patch
    replaces lists and null deletes keys."""
    core.create_namespaced_config_map(
        kube_namespace,
        {"metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"k": "v"}},
    )
    out = core.patch_namespaced_config_map(
        "c", kube_namespace, [{"op": "add", "path": "/data/n", "value": "new"}]
    )
    assert out.data == {"k": "v", "n": "new"}
    out = core.patch_namespaced_config_map(
        "c",
        kube_namespace,
        {"metadata": {"labels": {"a": None}}},
        _content_type="application/merge-patch+json",
    )
    assert out.metadata.labels == {
        "b": "2",
    } or out.metadata.labels == {"b": "2"}


def test_json_patch_failing_test_op_is_422(core, kube_namespace) -> None:
    """Real: a failing `test` op gives the generic 422 message without the jsonpatch detail."""
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "c"}, "data": {"k": "v"}}
    )
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_config_map(
            "c", kube_namespace, [{"op": "test", "path": "/data/k", "value": "other"}]
        )
    assert err.value.status == 422
    assert body_of(err.value)["message"] == (
        "the server rejected our request due to an error in our request"
    )


@pytest.mark.e2e  # starts a process
def test_strategic_merge_merges_lists_by_key(kube_api, core, kube_namespace) -> None:
    """Real: containers merge by name, env by name; finalizers union (a SMP cannot remove).
    The pod template of a CronJob is mutable, so the merge is observed there; an image
    change on a Pod (one of its few mutable fields) also merges by container name."""
    batch = client.BatchV1Api(kube_api)
    template = {
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "main", "image": "busybox", "env": [{"name": "A", "value": "1"}]}
                    ],
                }
            }
        }
    }
    batch.create_namespaced_cron_job(
        kube_namespace,
        {
            "metadata": {"name": "cj", "finalizers": ["example.com/a"]},
            "spec": {"schedule": "0 0 1 1 *", "suspend": True, "jobTemplate": template},
        },
    )
    out = batch.patch_namespaced_cron_job(
        "cj",
        kube_namespace,
        {
            "metadata": {"finalizers": ["example.com/b"]},
            "spec": {
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {"name": "main", "env": [{"name": "B", "value": "2"}]}
                                ]
                            }
                        }
                    }
                }
            },
        },
    )
    container = out.spec.job_template.spec.template.spec.containers[0]
    assert out.metadata.finalizers == ["example.com/a", "example.com/b"]
    assert [(e.name, e.value) for e in container.env] == [("A", "1"), ("B", "2")]
    assert container.image == "busybox"
    out = batch.patch_namespaced_cron_job("cj", kube_namespace, {"metadata": {"finalizers": []}})
    assert out.metadata.finalizers == ["example.com/a", "example.com/b"]
    out = batch.patch_namespaced_cron_job(
        "cj",
        kube_namespace,
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a", "example.com/b"]}},
    )
    assert not out.metadata.finalizers
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["sleep", "5"], image="busybox"))
    out = core.patch_namespaced_pod(
        "p", kube_namespace, {"spec": {"containers": [{"name": "main", "image": "busybox:1.37"}]}}
    )
    assert out.spec.containers[0].image == "busybox:1.37"
    assert out.spec.containers[0].command == ["sleep", "5"]


@pytest.mark.e2e  # starts a process
def test_pod_and_job_template_are_immutable(kube_api, core, kube_namespace) -> None:
    """Real: pod updates may change only images, activeDeadlineSeconds, tolerations, ...;
    a Job's spec.template is immutable (422 `field is immutable`)."""
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["sleep", "5"], image="busybox"))
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_pod(
            "p",
            kube_namespace,
            {"spec": {"containers": [{"name": "main", "env": [{"name": "A", "value": "1"}]}]}},
        )
    assert err.value.status == 422
    assert "pod updates may not change fields" in body_of(err.value)["message"]
    batch = client.BatchV1Api(kube_api)
    batch.create_namespaced_job(
        kube_namespace, job_manifest("j", ["true"], image="busybox", suspend=True)
    )
    with pytest.raises(client.ApiException) as err:
        batch.patch_namespaced_job(
            "j",
            kube_namespace,
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "main", "command": ["false"]}]}}
                }
            },
        )
    assert err.value.status == 422
    assert body_of(err.value)["details"]["causes"][0]["field"] == "spec.template"


def test_patch_resource_version_is_a_precondition(core, kube_namespace) -> None:
    cm = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    core.patch_namespaced_config_map("c", kube_namespace, {"data": {"a": "b"}})
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_config_map(
            "c",
            kube_namespace,
            {"metadata": {"resourceVersion": cm.metadata.resource_version}, "data": {"x": "y"}},
        )
    assert err.value.status == 409


def test_server_side_apply_creates_then_merges(batch, kube_namespace) -> None:
    """Real: apply creates when absent (201) and needs fieldManager (422 without)."""
    manifest = job_manifest("j", ["true"], image="busybox", suspend=True)
    _, code, _ = batch.patch_namespaced_job_with_http_info(
        "j",
        kube_namespace,
        manifest,
        field_manager="me",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    assert code == 201
    manifest["metadata"]["labels"] = {"applied": "yes"}
    again, code, _ = batch.patch_namespaced_job_with_http_info(
        "j",
        kube_namespace,
        manifest,
        field_manager="me",
        _content_type="application/apply-patch+yaml",
    )
    assert code == 200 and again.metadata.labels["applied"] == "yes"
    with pytest.raises(client.ApiException) as err:
        batch.patch_namespaced_job(
            "j", kube_namespace, manifest, _content_type="application/apply-patch+yaml"
        )
    assert err.value.status == 422
    assert "fieldManager: Required value" in body_of(err.value)["message"]


@pytest.mark.e2e  # starts a process
def test_delete_answers_status_or_object(core, batch, kube_namespace) -> None:
    """Real: immediate delete answers a Success Status (details.kind = plural); pods
    (ReturnDeletedObject) answer the Pod."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    status = core.delete_namespaced_config_map("c", kube_namespace)
    assert status["status"] == "Success" and status["details"]["kind"] == "configmaps"
    pod = core.create_namespaced_pod(
        kube_namespace,
        {
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], "nodeName": ""},
        },
    )
    deleted = core.delete_namespaced_pod("p", kube_namespace, grace_period_seconds=0)
    assert isinstance(deleted, client.V1Pod) and deleted.metadata.uid == pod.metadata.uid


def test_delete_with_finalizer_sets_deletion_timestamp(core, kube_namespace) -> None:
    """Real: the object stays with deletionTimestamp; a second DELETE answers it unchanged;
    the update that empties finalizers removes it; re-create while terminating is 409
    `object is being deleted`."""
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "c", "finalizers": ["example.com/keep"]}}
    )
    first = core.delete_namespaced_config_map("c", kube_namespace)
    assert first["kind"] == "ConfigMap" and first["metadata"]["deletionTimestamp"]
    cm = core.read_namespaced_config_map("c", kube_namespace)
    assert cm.metadata.deletion_timestamp is not None
    second = core.delete_namespaced_config_map("c", kube_namespace)
    assert second is not None
    assert core.read_namespaced_config_map("c", kube_namespace).metadata.deletion_timestamp == (
        cm.metadata.deletion_timestamp
    )
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    assert body_of(err.value)["message"].startswith("object is being deleted: ")
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_config_map(
            "c",
            kube_namespace,
            {"metadata": {"finalizers": ["example.com/keep", "example.com/new"]}},
        )
    assert err.value.status == 422
    core.patch_namespaced_config_map(
        "c", kube_namespace, [{"op": "remove", "path": "/metadata/finalizers"}]
    )
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_config_map("c", kube_namespace)
    assert err.value.status == 404


def test_delete_options_from_body_or_query(batch, kube_namespace) -> None:
    """Real: a Job delete without policy orphans (finalizer `orphan`, Warning header);
    propagationPolicy comes from the body (V1DeleteOptions) or the query."""
    batch.create_namespaced_job(
        kube_namespace, job_manifest("a", ["true"], image="busybox", suspend=True)
    )
    _, _, headers = batch.delete_namespaced_job_with_http_info("a", kube_namespace)
    assert "child pods are preserved by default" in headers.get("Warning", "")
    batch.create_namespaced_job(
        kube_namespace, job_manifest("b", ["true"], image="busybox", suspend=True)
    )
    out = batch.delete_namespaced_job(
        "b", kube_namespace, body=client.V1DeleteOptions(propagation_policy="Foreground")
    )
    assert "foregroundDeletion" in out["metadata"]["finalizers"]


def test_delete_collection_returns_the_deleted_items(core, kube_namespace) -> None:
    for name in ("a", "b", "c"):
        core.create_namespaced_config_map(
            kube_namespace,
            {"metadata": {"name": name, "labels": {"drop": "yes" if name != "c" else "no"}}},
        )
    out = core.delete_collection_namespaced_config_map(kube_namespace, label_selector="drop=yes")
    assert out.kind == "ConfigMapList"
    left = core.list_namespaced_config_map(kube_namespace).items
    assert [c.metadata.name for c in left] == ["c"]


def test_missing_content_type_is_json(kubesim, kube_namespace) -> None:
    """Real: a body with no Content-Type is decoded as JSON."""
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps",
        data=json.dumps({"metadata": {"name": "raw"}}).encode(),
        method="POST",
    )
    req.remove_header("Content-type")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 201


def test_apply_removes_fields_the_manager_stopped_applying(kube_api, kube_namespace) -> None:
    """Real SSA: a field a manager applied before and omits now is removed (it owned it
    alone); fields set by other writers stay; list entries merge by key."""
    batch = client.BatchV1Api(kube_api)

    def cronjob(labels: dict[str, str], env: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "cj", "labels": labels},
            "spec": {
                "schedule": "0 0 1 1 *",
                "suspend": True,
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "main", "image": "busybox", "env": env}],
                            }
                        }
                    }
                },
            },
        }

    def apply(body: dict[str, Any]) -> Any:
        return batch.patch_namespaced_cron_job(
            "cj",
            kube_namespace,
            body,
            field_manager="op",
            force=True,
            _content_type="application/apply-patch+yaml",
        )

    apply(cronjob({"a": "1", "b": "2"}, [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]))
    batch.patch_namespaced_cron_job("cj", kube_namespace, {"metadata": {"labels": {"other": "x"}}})
    out = apply(cronjob({"a": "1"}, [{"name": "X", "value": "1"}]))
    assert out.metadata.labels == {"a": "1", "other": "x"}
    env = out.spec.job_template.spec.template.spec.containers[0].env
    assert [(e.name, e.value) for e in env] == [("X", "1")]
