# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Built-in kinds are validated against the real schemas (kubernetes-validate) plus the
server's own checks, and refused the way the real server refuses them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        out = exc.code, json.loads(exc.read())
        exc.close()
        return out


def test_missing_required_field_is_422(kubesim, kube_namespace) -> None:
    """Real: a container without a name -> 422 `spec.containers[0].name: Required value`."""
    code, body = _post(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"image": "busybox"}]},
        },
    )
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"] == 'Pod "p" is invalid: spec.containers[0].name: Required value'
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "message": "Required value",
            "field": "spec.containers[0].name",
        }
    ]


def test_wrong_type_is_400_decode_error(kubesim, kube_namespace) -> None:
    """Real: a type mismatch fails JSON decoding: 400 `... cannot be handled as a Job`."""
    code, body = _post(
        f"{kubesim.url}/apis/batch/v1/namespaces/{kube_namespace}/jobs",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {
                "parallelism": "two",
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                },
            },
        },
    )
    assert code == 400
    assert body["message"].startswith('Job in version "v1" cannot be handled as a Job')


def test_invalid_names_and_enums(kube_api, kube_namespace) -> None:
    core = client.CoreV1Api(kube_api)
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "Bad_Name"}})
    body = body_of(err.value)
    assert err.value.status == 422
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert "RFC 1123 subdomain" in body["message"]
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_pod(
            kube_namespace,
            {
                "metadata": {"name": "p"},
                "spec": {
                    "restartPolicy": "Sometimes",
                    "containers": [{"name": "c", "image": "busybox"}],
                },
            },
        )
    assert err.value.status == 422
    assert 'spec.restartPolicy: Unsupported value: "Sometimes"' in body_of(err.value)["message"]


def test_pod_without_containers_and_image(kube_api, kube_namespace) -> None:
    core = client.CoreV1Api(kube_api)
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_pod(
            kube_namespace,
            {
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c"}, {"name": "c", "image": "x"}]},
            },
        )
    fields = [c["field"] for c in body_of(err.value)["details"]["causes"]]
    assert "spec.containers[0].image" in fields and "spec.containers[1].name" in fields


def test_kind_mismatch_is_400(kubesim, kube_namespace) -> None:
    code, _ = _post(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}},
    )
    assert code == 400


def test_secret_string_data_is_encoded(kube_api, kube_namespace) -> None:
    """Real: stringData is merged into data (base64) and never returned."""
    core = client.CoreV1Api(kube_api)
    secret = core.create_namespaced_secret(
        kube_namespace, {"metadata": {"name": "s"}, "stringData": {"k": "v"}}
    )
    assert secret.data == {"k": "dg=="} and secret.type == "Opaque"
    assert secret.string_data is None


def test_dry_run_does_not_persist(kube_api, kube_namespace) -> None:
    core = client.CoreV1Api(kube_api)
    out = core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "dry"}}, dry_run="All"
    )
    assert out.metadata.name == "dry"
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_config_map("dry", kube_namespace)
    assert err.value.status == 404


def test_unknown_fields_are_dropped_with_a_warning(kubesim, kube_api, kube_namespace) -> None:
    """Real (fieldValidation defaults to Warn): unknown fields are dropped and reported in a
    `Warning: 299 - "unknown field ..."` header; Strict refuses them with 400; Ignore drops
    them silently. (The official client's models refuse unknown fields client-side, so this
    is what kubectl, Helm or raw HTTP clients see.)"""
    url = f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps"
    body = {"metadata": {"name": "c", "bogus": 1}, "data": {"k": "v"}, "extra": True}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        warnings = resp.headers.get_all("Warning")
        created = json.loads(resp.read())
    assert 'unknown field \\"extra\\"' in " ".join(warnings)
    assert 'unknown field \\"metadata.bogus\\"' in " ".join(warnings)
    assert "extra" not in created and "bogus" not in created["metadata"]
    code, status = _post(url + "?fieldValidation=Strict", {**body, "metadata": {"name": "d"}})
    assert code == 400
    assert status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: '
        'strict decoding error: unknown field "extra"'
    )
    req = urllib.request.Request(
        url + "?fieldValidation=Ignore",
        method="POST",
        data=json.dumps({**body, "metadata": {"name": "e"}}).encode(),
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 201 and resp.headers.get("Warning") is None


def test_unknown_fields_of_custom_resources(kube_api, kube_namespace) -> None:
    """Real: pruned fields are reported (Warn) or refused (Strict) as a strict decoding
    error naming each field's path, wrapped by the create handler's transformDecodeError:
    `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: unknown
    field "spec.x"` (kubernetes test/integration/apiserver/field_validation_test.go)."""
    from .test_crds import GROUP, crd_body, obj

    crds = client.ApiextensionsV1Api(kube_api)
    try:
        crds.create_custom_resource_definition(crd_body("strictwidgets"))
    except client.ApiException as exc:
        assert exc.status == 409
    custom = client.CustomObjectsApi(kube_api)
    body = {**obj("w", surprise=1), "kind": "Strictwidget"}
    with pytest.raises(client.ApiException) as err:
        custom.create_namespaced_custom_object(
            GROUP, "v1", kube_namespace, "strictwidgets", body, field_validation="Strict"
        )
    assert err.value.status == 400
    assert body_of(err.value)["reason"] == "BadRequest"
    assert body_of(err.value)["message"] == (
        'Strictwidget in version "v1" cannot be handled as a Strictwidget: '
        'strict decoding error: unknown field "spec.surprise"'
    )
    _, _, headers = custom.create_namespaced_custom_object_with_http_info(
        GROUP, "v1", kube_namespace, "strictwidgets", body
    )
    assert 'unknown field \\"spec.surprise\\"' in headers["Warning"]
