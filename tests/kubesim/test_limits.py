# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
"""Object size limits: the request body (413), ConfigMap/Secret data (422) and etcd (500)."""

from __future__ import annotations

import base64
import http.client
import json
import socket
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of, job_manifest

MiB = 1024 * 1024


def _raw_post(kubesim: Any, path: str, body: bytes) -> tuple[int, dict[str, Any], bytes]:
    """POST on one keep-alive connection, then GET on the same one (still usable?)."""
    conn = http.client.HTTPConnection(kubesim.settings.host, kubesim.port, timeout=30)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    status = json.loads(response.read())
    conn.request("GET", "/version")
    after = conn.getresponse().read()
    conn.close()
    return response.status, status, after


def test_body_over_3_mib_is_413(kubesim, kube_namespace) -> None:
    """Real: the REST handler reads at most MaxRequestBodyBytes (3 MiB) of a create, update,
    patch or delete body; more gives 413 RequestEntityTooLarge `Request entity too large:
    limit is 3145728` before decoding (kubernetes/kubernetes#73805, #105863). The connection
    stays usable."""
    manifest = {"metadata": {"name": "big"}, "data": {"x": "a" * (3 * MiB)}}
    code, status, after = _raw_post(
        kubesim,
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        json.dumps(manifest).encode(),
    )
    assert code == 413
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Request entity too large: limit is 3145728",
        "reason": "RequestEntityTooLarge",
        "code": 413,
    }
    assert b"gitVersion" in after


def test_body_over_3_mib_through_the_client(core, kube_namespace) -> None:
    """Real: the official client surfaces it as ApiException 413 with the Status body."""
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(
            kube_namespace, {"metadata": {"name": "big"}, "data": {"x": "a" * (3 * MiB + 1)}}
        )
    assert err.value.status == 413
    assert body_of(err.value)["reason"] == "RequestEntityTooLarge"


def test_config_map_data_over_1_mib_is_422(core, kube_namespace) -> None:
    """Real: ValidateConfigMap refuses more than core.MaxSecretSize (1 MiB) of data and
    binaryData together, as a TooLong error on the whole object (field `[]`)."""
    half = "a" * (MiB // 2)
    binary = base64.b64encode(b"b" * (MiB // 2 + 1)).decode()
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(
            kube_namespace,
            {"metadata": {"name": "big"}, "data": {"x": half}, "binaryData": {"y": binary}},
        )
    assert err.value.status == 422
    status = body_of(err.value)
    assert status["message"] == (
        'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes'
    )
    assert status["details"]["causes"][0]["reason"] == "FieldValueTooLong"
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "fits"}, "data": {"x": "a" * MiB}}
    )


def test_secret_data_over_1_mib_is_422(core, kube_namespace) -> None:
    """Real: ValidateSecret counts the decoded data bytes against 1 MiB (field `data`)."""
    data = base64.b64encode(b"s" * (MiB + 1)).decode()
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_secret(
            kube_namespace, {"metadata": {"name": "big"}, "data": {"k": data}}
        )
    assert err.value.status == 422
    assert body_of(err.value)["message"] == (
        'Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes'
    )


def test_object_over_etcd_limit_is_500(kube_api, kube_namespace) -> None:
    """Real: an object whose stored form exceeds etcd's --max-request-bytes (1.5 MiB) is
    refused by etcd; kube-apiserver passes the error on unmapped: 500 with message
    `etcdserver: request is too large` and no reason (kubernetes/kubernetes#74600, #112152).
    Nothing is stored."""
    batch = client.BatchV1Api(kube_api)
    job = job_manifest("big", ["true"], image="busybox", suspend=True)
    job["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "BIG", "value": "v" * (2 * MiB)}
    ]
    with pytest.raises(client.ApiException) as err:
        batch.create_namespaced_job(kube_namespace, job)
    assert err.value.status == 500
    assert body_of(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "etcdserver: request is too large",
        "code": 500,
    }
    assert batch.list_namespaced_job(kube_namespace).items == []


def test_update_over_etcd_limit_is_500_and_keeps_the_old_object(kube_api, kube_namespace) -> None:
    """Real: the same limit applies to updates and patches; the stored object is kept."""
    batch = client.BatchV1Api(kube_api)
    job = job_manifest("c", ["true"], image="busybox")
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "BIG", "value": "v" * MiB}]
    cronjob = {
        "metadata": {"name": "c"},
        "spec": {"schedule": "0 0 1 1 *", "suspend": True, "jobTemplate": {"spec": job["spec"]}},
    }
    created = batch.create_namespaced_cron_job(kube_namespace, cronjob)
    container["env"][0]["value"] = "w" * (2 * MiB)
    with pytest.raises(client.ApiException) as err:
        batch.patch_namespaced_cron_job(
            "c", kube_namespace, {"spec": {"jobTemplate": {"spec": job["spec"]}}}
        )
    assert err.value.status == 500
    assert body_of(err.value)["message"] == "etcdserver: request is too large"
    kept = batch.read_namespaced_cron_job("c", kube_namespace)
    assert kept.metadata.resource_version == created.metadata.resource_version


@pytest.mark.parametrize("length", ["-5", "lots", "\u00b2"])
def test_a_malformed_content_length_is_400_and_closes_the_connection(kubesim, length) -> None:
    """Real (Go net/http): a Content-Length that is not a non-negative integer is answered
    400 at once, and the connection is closed (its framing is unknown); no waiting for a
    body that never comes."""
    with socket.create_connection((kubesim.settings.host, kubesim.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: kubesim\r\n"
            b"Content-Length: " + length.encode("latin-1") + b"\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")
