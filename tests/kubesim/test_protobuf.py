"""Protobuf request bodies and self reviews.

client-go's typed clients (kubectl ``create namespace|configmap|secret|...``, ``auth
can-i``) send ``application/vnd.kubernetes.protobuf``: the magic ``k8s\\x00`` and a
``runtime.Unknown`` envelope around the object's message. The real server decodes every
built-in kind; custom resources have no protobuf form and get 415. The bodies here are
encoded by a tiny test encoder from the public field numbers; tests/kubectl checks the
bytes the real kubectl sends.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from kubernetes import client

from tools.kubesim.rbac import issue_token
from tools.kubesim.sim import KubeSim
from tools.kubesim.testing import api_client

PROTOBUF = "application/vnd.kubernetes.protobuf"


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, value: bytes | str | int) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, message: bytes) -> bytes:
    type_meta = field(1, api_version) + field(2, kind)
    return b"k8s\x00" + field(1, type_meta) + field(2, message) + field(3, "") + field(4, "")


def meta(name: str) -> bytes:
    """ObjectMeta as Go writes it: every non-pointer field, empty or not."""
    return b"".join(field(n, name if n == 1 else "") for n in range(1, 7)) + field(7, 0)


def _post(sim: KubeSim, path: str, body: bytes, ctype: str = PROTOBUF) -> httpx.Response:
    with httpx.Client(base_url=sim.url, trust_env=False, timeout=10) as http:
        return http.post(
            path,
            content=body,
            headers={"Content-Type": ctype, "Accept": f"{PROTOBUF},application/json"},
        )


def test_a_protobuf_configmap_is_created_with_its_data(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    entries = field(2, field(1, "a") + field(2, "1")) + field(2, field(1, "b") + field(2, ""))
    binary = field(3, field(1, "bin") + field(2, b"\x00\xff"))
    body = envelope("v1", "ConfigMap", field(1, meta("cm")) + entries + binary + field(4, 1))
    response = _post(kubesim, f"/api/v1/namespaces/{kube_namespace}/configmaps", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["data"] == {"a": "1", "b": ""}
    assert created["binaryData"] == {"bin": base64.b64encode(b"\x00\xff").decode()}
    assert created["immutable"] is True
    assert created["metadata"]["name"] == "cm"
    assert "generateName" not in created["metadata"]


def test_protobuf_pointers_keep_their_zero_values(kubesim: KubeSim, kube_namespace: str) -> None:
    """A pointer's zero (``backoffLimit: 0``) survives; a plain zero (``hostNetwork``) is
    unset, as Go writes every non-pointer field."""
    container = field(1, "main") + field(2, "busybox") + field(3, "sh") + field(3, "-c")
    container += field(3, "true")
    pod_spec = field(2, container) + field(3, "Never") + field(6, "") + field(11, 0)
    template = field(1, meta("")) + field(2, pod_spec)
    body = envelope(
        "batch/v1",
        "Job",
        field(1, meta("j2")) + field(2, field(6, template) + field(7, 0) + field(10, 1)),
    )
    response = _post(kubesim, f"/apis/batch/v1/namespaces/{kube_namespace}/jobs", body)
    assert response.status_code == 201, response.text
    spec = response.json()["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["suspend"] is True
    container_out = spec["template"]["spec"]["containers"][0]
    assert container_out["command"] == ["sh", "-c", "true"]
    assert "hostNetwork" not in spec["template"]["spec"]


def test_a_negative_varint_decodes_as_a_negative_number() -> None:
    from tools.kubesim.protobuf import _message, _parse

    decoded = _message(field(1, -5), _parse({1: "value:int?"}), 0)
    assert decoded == {"value": -5}


def test_custom_resources_and_undecoded_kinds_refuse_protobuf_with_415(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    body = envelope("coordination.k8s.io/v1", "Lease", field(1, meta("l")))
    path = f"/apis/coordination.k8s.io/v1/namespaces/{kube_namespace}/leases"
    response = _post(kubesim, path, body)
    assert response.status_code == 415
    status = response.json()
    assert status["reason"] == "UnsupportedMediaType"
    assert "application/json" in status["message"]


def test_a_field_kubesim_does_not_know_is_refused_not_dropped(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    body = envelope("v1", "ConfigMap", field(1, meta("cm")) + field(99, "surprise"))
    response = _post(kubesim, f"/api/v1/namespaces/{kube_namespace}/configmaps", body)
    assert response.status_code == 415
    assert "field 99" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [b"not protobuf", b"k8s\x00\x0a\xff", b"k8s\x00" + field(2, b"\x0a\x05ab")],
    ids=["no-magic", "truncated-envelope", "truncated-object"],
)
def test_garbage_protobuf_is_a_bad_request(
    kubesim: KubeSim, kube_namespace: str, body: bytes
) -> None:
    response = _post(kubesim, f"/api/v1/namespaces/{kube_namespace}/configmaps", body)
    assert response.status_code == 400
    assert response.json()["message"].startswith("error decoding request body")


def _review(api: client.ApiClient, verb: str, resource: str, namespace: str) -> bool:
    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                verb=verb, resource=resource, namespace=namespace
            )
        )
    )
    status = client.AuthorizationV1Api(api).create_self_subject_access_review(review).status
    return bool(status.allowed)


def test_self_subject_access_review_allows_everything_without_rbac(kubesim: KubeSim) -> None:
    with api_client(kubesim.write_kubeconfig(kubesim.work_dir / "review-kubeconfig")) as api:
        assert _review(api, "delete", "secrets", "kube-system")


def test_self_reviews_follow_rbac_when_it_is_enforced(make_kubesim: Any) -> None:
    """A service account bound to a Role may do what it grants, there only; its rules
    review lists the Role's rules plus the basic-user review rights."""
    sim = make_kubesim(rbac=True)
    rbac_api = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
    role = {
        "metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    }
    binding = {
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "default"}],
    }
    admin = {"Authorization": f"Bearer {sim.settings.token}"}
    with httpx.Client(base_url=sim.url, trust_env=False, headers=admin) as http:
        assert http.post(f"{rbac_api}/roles", json=role).status_code == 201
        assert http.post(f"{rbac_api}/rolebindings", json=binding).status_code == 201
    token = issue_token(sim, "default", "bot")
    config_path = sim.work_dir / "bot-kubeconfig"
    from tools.kubesim.kubeconfig import write

    write(config_path, sim.url, token)
    with api_client(config_path) as api:
        assert _review(api, "list", "pods", "default")
        assert not _review(api, "list", "pods", "kube-system")
        assert not _review(api, "delete", "pods", "default")
        rules_review = client.V1SelfSubjectRulesReview(
            spec=client.V1SelfSubjectRulesReviewSpec(namespace="default")
        )
        rules = client.AuthorizationV1Api(api).create_self_subject_rules_review(rules_review)
        resources = [(r.resources, sorted(r.verbs)) for r in rules.status.resource_rules]
        assert (["pods"], ["get", "list"]) in resources
        assert (["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]) in resources
        whoami = client.AuthenticationV1Api(api).create_self_subject_review(
            client.V1SelfSubjectReview()
        )
        assert whoami.status.user_info.username == "system:serviceaccount:default:bot"


def test_reviews_are_only_created(kubesim: KubeSim) -> None:
    with httpx.Client(base_url=kubesim.url, trust_env=False, timeout=10) as http:
        response = http.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        openapi = http.get("/openapi/v3/apis/authorization.k8s.io/v1")
    assert response.status_code == 405
    assert response.json()["reason"] == "MethodNotAllowed"
    assert openapi.status_code == 200


def test_protobuf_delete_options_are_read(kubesim: KubeSim, kube_namespace: str) -> None:
    """client-go's typed deletes send DeleteOptions as protobuf; ``dryRun`` keeps the object."""
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    body = envelope("v1", "ConfigMap", field(1, meta("kept")))
    assert _post(kubesim, path, body).status_code == 201
    options = envelope("meta.k8s.io/v1", "DeleteOptions", field(5, "All") + field(4, "Background"))
    with httpx.Client(base_url=kubesim.url, trust_env=False, timeout=10) as http:
        response = http.request(
            "DELETE", f"{path}/kept", content=options, headers={"Content-Type": PROTOBUF}
        )
        assert response.status_code == 200, response.text
        assert http.get(f"{path}/kept").status_code == 200
