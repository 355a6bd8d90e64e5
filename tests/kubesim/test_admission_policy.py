"""ValidatingAdmissionPolicies: kubesim evaluates them on create and update the way
kube-apiserver's ValidatingAdmissionPolicy plugin does (``Warn`` gives a ``Warning``
header, ``Deny`` the 422 naming policy and binding). The chart's rule-name warning
(tests/chart/test_admission_policy_e2e.py) needs them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.admission_policy import Attributes, rule_matches
from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.sim import KubeSim

Obj = dict[str, Any]
VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
VAPB = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"
CM = "/api/v1/namespaces/default/configmaps"
CONFIGMAPS = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["configmaps"],
}


@pytest.fixture(scope="module")
def sim() -> Iterator[KubeSim]:
    with KubeSim(test_settings(controllers=False)) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(sim: KubeSim) -> Iterator[None]:
    yield
    for path in (VAPB, VAP, CM):
        call(sim, "DELETE", path)


def call(sim: KubeSim, method: str, path: str, body: Any = None) -> tuple[int, list[str], Obj]:
    """(code, Warning headers, body) of one request."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(sim.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get_all("Warning") or [], json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        out = exc.code, exc.headers.get_all("Warning") or [], json.loads(exc.read())
        exc.close()
        return out


def policy(sim: KubeSim, name: str, validations: list[Obj], **spec: Any) -> None:
    spec.setdefault("matchConstraints", {"resourceRules": [CONFIGMAPS]})
    body = {"metadata": {"name": name}, "spec": {"validations": validations, **spec}}
    code, _, answer = call(sim, "POST", VAP, body)
    assert code == 201, answer


def bind(sim: KubeSim, name: str, policy_name: str, actions: list[str], **spec: Any) -> None:
    body = {
        "metadata": {"name": name},
        "spec": {"policyName": policy_name, "validationActions": actions, **spec},
    }
    code, _, answer = call(sim, "POST", VAPB, body)
    assert code == 201, answer


def configmap(name: str, data: dict[str, str], labels: dict[str, str] | None = None) -> Obj:
    return {"metadata": {"name": name, "labels": labels or {}}, "data": data}


def test_discovery_serves_both_kinds_cluster_scoped(sim: KubeSim) -> None:
    """Real (1.30+): admissionregistration.k8s.io/v1 lists both, namespaced false."""
    resources = client.AdmissionregistrationV1Api(sim.client()).get_api_resources().resources
    served = {r.name: r.namespaced for r in resources}
    assert served["validatingadmissionpolicies"] is False
    assert served["validatingadmissionpolicybindings"] is False
    assert "validatingadmissionpolicies/status" in served


def test_warn_binding_admits_with_the_warning_header(sim: KubeSim) -> None:
    """Real: Warn adds `Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b':
    <message>` as a 299 warning and the object is created."""
    policy(sim, "small", [{"expression": "size(object.data) < 2", "message": "too many keys"}])
    bind(sim, "small-warn", "small", ["Warn"])
    code, warnings, _ = call(sim, "POST", CM, configmap("big", {"a": "1", "b": "2"}))
    assert code == 201
    assert warnings == [
        "299 - \"Validation failed for ValidatingAdmissionPolicy 'small' with binding "
        "'small-warn': too many keys\""
    ]
    code, warnings, _ = call(sim, "POST", CM, configmap("fine", {"a": "1"}))
    assert code == 201 and warnings == []


def test_deny_binding_refuses_with_422_naming_policy_and_binding(sim: KubeSim) -> None:
    """Real: admission.NewForbidden with reason Invalid and code 422, one cause."""
    policy(sim, "small", [{"expression": "size(object.data) < 2"}])
    bind(sim, "small-deny", "small", ["Deny"])
    code, _, body = call(sim, "POST", CM, configmap("big", {"a": "1", "b": "2"}))
    text = (
        "ValidatingAdmissionPolicy 'small' with binding 'small-deny' denied request: "
        "failed expression: size(object.data) < 2"
    )
    assert code == 422 and body["reason"] == "Invalid"
    assert body["message"] == f'configmaps "big" is forbidden: {text}'
    assert body["details"] == {"name": "big", "kind": "configmaps", "causes": [{"message": text}]}
    assert call(sim, "GET", f"{CM}/big")[0] == 404


def test_a_validation_reason_sets_the_code(sim: KubeSim) -> None:
    """Real: reasonToCode: Forbidden gives 403."""
    policy(sim, "p", [{"expression": "false", "reason": "Forbidden", "message": "no"}])
    bind(sim, "b", "p", ["Deny"])
    code, _, body = call(sim, "POST", CM, configmap("x", {}))
    assert (code, body["reason"]) == (403, "Forbidden")


def test_message_expression_with_variables_and_its_fallbacks(sim: KubeSim) -> None:
    """Real: messageExpression's string (trimmed) wins; a multi-line one falls back to
    message; variables are evaluated in order and may use earlier ones."""
    variables = [
        {"name": "keys", "expression": "object.data.map(k, k)"},
        {"name": "count", "expression": "size(variables.keys)"},
    ]
    validations = [
        {
            "expression": "variables.count < 2",
            "messageExpression": "' keys: ' + variables.keys.join(', ') + ' '",
        },
        {"expression": "false", "messageExpression": "'a\\nb'", "message": "plain"},
        {"expression": "false", "messageExpression": "''"},
    ]
    policy(sim, "m", validations, variables=variables)
    bind(sim, "m", "m", ["Warn"])
    _, warnings, _ = call(sim, "POST", CM, configmap("x", {"a": "1", "b": "2"}))
    prefix = "299 - \"Validation failed for ValidatingAdmissionPolicy 'm' with binding 'm': "
    assert warnings == [
        prefix + 'keys: a, b"',
        prefix + 'plain"',
        prefix + 'failed expression: false"',
    ]


def test_old_object_and_request_on_update_only(sim: KubeSim) -> None:
    """Real: operations select the request; oldObject is the stored object on UPDATE."""
    rule = {**CONFIGMAPS, "operations": ["UPDATE"]}
    expression = "request.operation == 'UPDATE' && object.data.v == oldObject.data.v"
    policy(
        sim,
        "frozen",
        [{"expression": expression, "message": "v is frozen"}],
        matchConstraints={"resourceRules": [rule]},
    )
    bind(sim, "frozen", "frozen", ["Deny"])
    assert call(sim, "POST", CM, configmap("x", {"v": "1"}))[0] == 201
    current = call(sim, "GET", f"{CM}/x")[2]
    code, _, body = call(sim, "PUT", f"{CM}/x", {**current, "data": {"v": "2"}})
    assert code == 422 and body["message"].endswith("denied request: v is frozen")
    assert call(sim, "PUT", f"{CM}/x", {**current, "data": {"v": "1", "w": "0"}})[0] == 200


def test_resource_rules_exclusions_and_selectors(sim: KubeSim) -> None:
    """Real: excludeResourceRules and objectSelector narrow the match; a binding's
    matchResources intersects with the policy's."""
    excluded = {**CONFIGMAPS, "resourceNames": ["skipped"]}
    policy(
        sim,
        "p",
        [{"expression": "false", "message": "matched"}],
        matchConstraints={
            "resourceRules": [CONFIGMAPS],
            "excludeResourceRules": [excluded],
            "objectSelector": {"matchExpressions": [{"key": "check", "operator": "Exists"}]},
        },
    )
    selector = {"matchLabels": {"kubernetes.io/metadata.name": "default"}}
    bind(sim, "b", "p", ["Warn"], matchResources={"namespaceSelector": selector})
    checked = {"check": "yes"}
    assert call(sim, "POST", CM, configmap("a", {}, checked))[1] != []
    assert call(sim, "POST", CM, configmap("skipped", {}, checked))[1] == []
    assert call(sim, "POST", CM, configmap("unlabelled", {}))[1] == []


def test_subresources_match_only_when_named(sim: KubeSim) -> None:
    """Real: `pods` does not match `pods/status`; `pods/status` or `*/*` does."""
    pods = {**CONFIGMAPS, "resources": ["pods"]}
    rt = sim.api.resource("", "v1", "pods")
    status = Attributes(rt, "UPDATE", {}, {}, "status", False)
    main = Attributes(rt, "UPDATE", {}, {}, "", False)
    assert rule_matches(pods, main) and not rule_matches(pods, status)
    for resources in (["pods/status"], ["*/*"], ["pods/*"], ["*/status"]):
        assert rule_matches({**pods, "resources": resources}, status)
    assert not rule_matches({**pods, "resources": ["*"]}, status)


def test_failure_policy_decides_evaluation_errors(sim: KubeSim) -> None:
    """Real: an evaluation error admits under Ignore and denies under Fail (the default)."""
    missing = [{"expression": "object.data.nope == 'x'"}]
    policy(sim, "ignored", missing, failurePolicy="Ignore")
    bind(sim, "ignored", "ignored", ["Deny"])
    assert call(sim, "POST", CM, configmap("a", {}))[0] == 201
    policy(sim, "failing", missing)
    bind(sim, "failing", "failing", ["Deny"])
    code, _, body = call(sim, "POST", CM, configmap("b", {}))
    assert code == 422
    assert "expression 'object.data.nope == 'x'' resulted in error" in body["message"]


def test_unbound_audit_only_and_missing_policies_do_nothing(sim: KubeSim) -> None:
    """Real: a policy acts only through a binding naming it; Audit only annotates."""
    policy(sim, "p", [{"expression": "false"}])
    bind(sim, "audit", "p", ["Audit"])
    bind(sim, "dangling", "nope", ["Deny"])
    assert call(sim, "POST", CM, configmap("a", {}))[:2] == (201, [])


def test_a_policy_whose_cel_does_not_compile_is_refused(sim: KubeSim) -> None:
    """Real: 422 naming the field with `compilation failed`."""
    body = {
        "metadata": {"name": "bad"},
        "spec": {
            "matchConstraints": {"resourceRules": [CONFIGMAPS]},
            "validations": [{"expression": "object.data ==="}],
        },
    }
    code, _, answer = call(sim, "POST", VAP, body)
    assert code == 422 and answer["reason"] == "Invalid"
    assert answer["details"]["causes"][0]["field"] == "spec.validations[0].expression"
    assert "compilation failed" in answer["message"]


def test_policies_do_not_apply_to_admission_kinds(sim: KubeSim) -> None:
    """Real: admissionregistration.k8s.io objects are exempt from admission policies."""
    everything = {**CONFIGMAPS, "apiGroups": ["*"], "resources": ["*"]}
    policy(sim, "all", [{"expression": "false"}], matchConstraints={"resourceRules": [everything]})
    bind(sim, "all", "all", ["Deny"])
    policy(sim, "second", [{"expression": "true"}])
    assert call(sim, "POST", CM, configmap("a", {}))[0] == 422


def test_a_variable_that_fails_fails_only_the_validations_using_it(sim: KubeSim) -> None:
    """Real: variables are evaluated lazily; an error surfaces where one is used."""
    variables = [{"name": "bad", "expression": "object.data.nope"}]
    validations = [
        {"expression": "variables.bad == 'x'", "message": "uses bad"},
        {"expression": "false", "message": "independent"},
    ]
    policy(sim, "v", validations, variables=variables)
    bind(sim, "v", "v", ["Warn"])
    _, warnings, _ = call(sim, "POST", CM, configmap("a", {}))
    assert len(warnings) == 2
    assert "resulted in error" in warnings[0] and warnings[1].endswith(': independent"')
