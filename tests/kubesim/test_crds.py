# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A2 (CRD serving), A7 (status subresource), A14 (structural schema, pruning,
defaults, 422 causes) and C4 (CEL rules), through the official client."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of, wait_for, wait_gone

GROUP = "kubesim.example.com"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["host"],
            "x-kubernetes-validations": [
                {
                    "rule": "self.replicas <= self.maxReplicas",
                    "message": "replicas must not exceed maxReplicas",
                },
                {"rule": "self.host == oldSelf.host", "message": "host is immutable"},
            ],
            "properties": {
                "host": {"type": "string", "pattern": "^[a-z.]+$", "maxLength": 20},
                "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
                "maxReplicas": {"type": "integer", "default": 5},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
        "status": {"type": "object", "properties": {"state": {"type": "string"}}},
    },
}


def crd_body(plural: str, status: bool = True, scope: str = "Namespaced") -> dict[str, Any]:
    kind = plural.capitalize()[:-1]
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": copy.deepcopy(SCHEMA)},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "versions": [version],
            "names": {
                "plural": plural,
                "singular": plural[:-1],
                "kind": kind,
                "shortNames": [plural[:2]],
            },
        },
    }


@pytest.fixture
def widgets(crds: client.ApiextensionsV1Api) -> Any:
    try:
        crds.create_custom_resource_definition(crd_body("widgets"))
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    yield "widgets"


def obj(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"host": "example.test", **spec},
    }


def test_crd_is_established_and_served_in_discovery(kube_api, crds) -> None:
    """Real: after POST the CRD gets NamesAccepted/Established and its group/version appears
    in /apis and /apis/{g}/{v} with a plural/status entry."""
    crd = crds.create_custom_resource_definition(crd_body("gadgets"))
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert crd.status.accepted_names.kind == "Gadget"
    groups = [g.name for g in client.ApisApi(kube_api).get_api_versions().groups]
    assert GROUP in groups
    resources = client.CustomObjectsApi(kube_api).get_api_resources(GROUP, "v1").resources
    assert {r.name for r in resources} >= {"gadgets", "gadgets/status"}
    crds.delete_custom_resource_definition(f"gadgets.{GROUP}")


def test_crd_delete_removes_objects_and_endpoint(kube_api, crds, custom, kube_namespace) -> None:
    """Real: CRD delete uninstalls the endpoint and deletes all custom objects."""
    crds.create_custom_resource_definition(crd_body("things"))
    custom.create_namespaced_custom_object(
        GROUP, "v1", kube_namespace, "things", {**obj("t1"), "kind": "Thing"}
    )
    crds.delete_custom_resource_definition(f"things.{GROUP}")
    wait_gone(crds.read_custom_resource_definition, f"things.{GROUP}", timeout=5)
    with pytest.raises(client.ApiException) as err:
        custom.list_namespaced_custom_object(GROUP, "v1", kube_namespace, "things")
    assert err.value.status == 404


def test_slow_establishment_answers_404_until_established(make_kubesim) -> None:
    """Real: "it might take a few seconds for the endpoint to be created"."""
    sim = make_kubesim(crd_establish_delay=0.5, controllers=False)
    crd_rt = sim.api.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    stored = sim.api.create(crd_rt, None, crd_body("slows"))
    established = {c["type"]: c["status"] for c in stored["status"]["conditions"]}["Established"]
    assert established == "False"
    assert sim.registry.lookup(GROUP, "v1", "slows") is None
    wait_for(lambda: sim.registry.lookup(GROUP, "v1", "slows"), 5, what="establishment")


def test_create_answers_201_with_kind_and_generation(custom, widgets, kube_namespace) -> None:
    """Real: create_namespaced_custom_object only maps 201 to a body."""
    out = custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, obj("w"))
    assert out["kind"] == "Widget" and out["metadata"]["generation"] == 1
    listed = custom.list_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets)
    assert listed["kind"] == "WidgetList" and listed["items"][0]["kind"] == "Widget"
    assert custom.list_cluster_custom_object(GROUP, "v1", widgets)["items"]


def test_pruning_defaults_and_preserved_fields(custom, widgets, kube_namespace) -> None:
    """Real: unknown fields are dropped silently, defaults filled, preserve-unknown kept."""
    body = obj("w", unknown="x", extra={"free": {"form": 1}})
    body["topLevelJunk"] = True
    out = custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, body)
    assert "unknown" not in out["spec"] and "topLevelJunk" not in out
    assert out["spec"]["replicas"] == 1 and out["spec"]["maxReplicas"] == 5
    assert out["spec"]["extra"] == {"free": {"form": 1}}


def test_schema_violations_are_422_with_causes(custom, widgets, kube_namespace) -> None:
    """Real: one cause per violation; message `Widget.<group> "w" is invalid: [...]`."""
    bad = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"replicas": 15, "mode": "c", "host": "UPPER", "tags": ["a", "b", "c"]},
    }
    with pytest.raises(client.ApiException) as err:
        custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, bad)
    body = body_of(err.value)
    assert err.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith(f'Widget.{GROUP} "w" is invalid: [')
    causes = {c["field"]: c for c in body["details"]["causes"]}
    assert causes["spec.replicas"]["message"] == (
        "Invalid value: 15: spec.replicas in body should be less than or equal to 10"
    )
    assert causes["spec.mode"]["reason"] == "FieldValueNotSupported"
    assert causes["spec.mode"]["message"] == 'Unsupported value: "c": supported values: "a", "b"'
    assert "should match" in causes["spec.host"]["message"]
    assert causes["spec.tags"]["reason"] == "FieldValueTooMany"
    with pytest.raises(client.ApiException) as err:
        custom.create_namespaced_custom_object(
            GROUP,
            "v1",
            kube_namespace,
            widgets,
            {
                "apiVersion": f"{GROUP}/v1",
                "kind": "Widget",
                "metadata": {"name": "w"},
                "spec": {"replicas": "many"},
            },
        )
    causes = {c["field"]: c for c in body_of(err.value)["details"]["causes"]}
    assert causes["spec.host"]["reason"] == "FieldValueRequired"
    assert causes["spec.replicas"]["reason"] == "FieldValueTypeInvalid"
    assert causes["spec.replicas"]["message"].endswith(
        'spec.replicas in body must be of type integer: "string"'
    )


def test_cel_rules_and_transition_rules(custom, widgets, kube_namespace) -> None:
    """Real: a failed x-kubernetes-validations rule is `<path>: Invalid value: "object":
    <message>`; oldSelf rules are checked on update only."""
    with pytest.raises(client.ApiException) as err:
        custom.create_namespaced_custom_object(
            GROUP, "v1", kube_namespace, widgets, obj("w", replicas=6, maxReplicas=5)
        )
    cause = body_of(err.value)["details"]["causes"][0]
    assert cause == {
        "reason": "FieldValueInvalid",
        "field": "spec",
        "message": 'Invalid value: "object": replicas must not exceed maxReplicas',
    }
    custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, obj("w"))
    with pytest.raises(client.ApiException) as err:
        custom.patch_namespaced_custom_object(
            GROUP, "v1", kube_namespace, widgets, "w", {"spec": {"host": "other.test"}}
        )
    assert "host is immutable" in body_of(err.value)["message"]


def test_crd_with_bad_cel_rule_is_rejected(crds) -> None:
    body = crd_body("badrules")
    body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-validations"] = [
        {"rule": "self.x >"}
    ]
    with pytest.raises(client.ApiException) as err:
        crds.create_custom_resource_definition(body)
    assert err.value.status == 422


def test_crd_with_cel_rule_on_an_untyped_node_is_rejected(crds) -> None:
    """Real: CEL needs a type; a preserve-unknown-fields node without one has none."""
    body = crd_body("untypedrules")
    spec = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["loose"] = {
        "x-kubernetes-preserve-unknown-fields": True,
        "x-kubernetes-validations": [{"rule": "true"}],
    }
    with pytest.raises(client.ApiException) as err:
        crds.create_custom_resource_definition(body)
    assert err.value.status == 422
    assert (
        "x-kubernetes-validations: Internal error: internal error: failed to retrieve type "
        "information for x-kubernetes-validations" in body_of(err.value)["message"]
    )


def test_put_without_resource_version_is_422_for_custom_objects(
    custom, widgets, kube_namespace
) -> None:
    """Real: CRs disallow unconditional update: `metadata.resourceVersion: Invalid value: 0:
    must be specified for an update`."""
    custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, obj("w"))
    with pytest.raises(client.ApiException) as err:
        custom.replace_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, "w", obj("w"))
    assert err.value.status == 422
    assert (
        "metadata.resourceVersion: Invalid value: 0: must be specified for an update"
        in (body_of(err.value)["message"])
    )


def test_strategic_merge_on_custom_object_is_415(custom, widgets, kube_namespace) -> None:
    custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, obj("w"))
    with pytest.raises(client.ApiException) as err:
        custom.patch_namespaced_custom_object(
            GROUP,
            "v1",
            kube_namespace,
            widgets,
            "w",
            {"spec": {"replicas": 2}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert err.value.status == 415
    assert body_of(err.value)["reason"] == "UnsupportedMediaType"


def test_status_subresource_splits_spec_and_status(custom, widgets, kube_namespace) -> None:
    """Real: create drops status; main endpoint ignores status; /status ignores everything
    else (labels too) and never bumps generation; spec changes bump generation."""
    body = obj("w")
    body["status"] = {"state": "from-create"}
    out = custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, widgets, body)
    assert "status" not in out
    out = custom.patch_namespaced_custom_object(
        GROUP, "v1", kube_namespace, widgets, "w", {"status": {"state": "main"}}
    )
    assert "status" not in out and out["metadata"]["generation"] == 1
    out = custom.patch_namespaced_custom_object_status(
        GROUP,
        "v1",
        kube_namespace,
        widgets,
        "w",
        {
            "status": {"state": "ok"},
            "metadata": {"labels": {"dropped": "yes"}},
            "spec": {"replicas": 3},
        },
    )
    assert out["status"] == {"state": "ok"} and out["spec"]["replicas"] == 1
    assert "labels" not in out["metadata"] and out["metadata"]["generation"] == 1
    out = custom.patch_namespaced_custom_object(
        GROUP, "v1", kube_namespace, widgets, "w", {"spec": {"replicas": 3}}
    )
    assert out["metadata"]["generation"] == 2 and out["status"] == {"state": "ok"}
    out = custom.patch_namespaced_custom_object(
        GROUP, "v1", kube_namespace, widgets, "w", {"metadata": {"labels": {"a": "b"}}}
    )
    assert out["metadata"]["generation"] == 2


def test_without_status_subresource_status_is_a_field(
    kube_api, crds, custom, kube_namespace
) -> None:
    """Real: without the subresource, status is writable and bumps generation; /status 404."""
    try:
        crds.create_custom_resource_definition(crd_body("plains", status=False))
    except client.ApiException as exc:
        assert exc.status == 409
    body = {**obj("p"), "kind": "Plain", "status": {"state": "x"}}
    out = custom.create_namespaced_custom_object(GROUP, "v1", kube_namespace, "plains", body)
    assert out["status"] == {"state": "x"}
    out = custom.patch_namespaced_custom_object(
        GROUP, "v1", kube_namespace, "plains", "p", {"status": {"state": "y"}}
    )
    assert out["metadata"]["generation"] == 2
    with pytest.raises(client.ApiException) as err:
        custom.get_namespaced_custom_object_status(GROUP, "v1", kube_namespace, "plains", "p")
    assert err.value.status == 404


def test_cluster_scoped_custom_resource(crds, custom) -> None:
    try:
        crds.create_custom_resource_definition(crd_body("globals", scope="Cluster"))
    except client.ApiException as exc:
        assert exc.status == 409
    out = custom.create_cluster_custom_object(
        GROUP, "v1", "globals", {**obj("g-one"), "kind": "Global"}
    )
    assert "namespace" not in out["metadata"]
    custom.delete_cluster_custom_object(GROUP, "v1", "globals", "g-one")


def test_selectable_fields_of_custom_resources(crds, custom, kube_namespace) -> None:
    """Real (CRD selectableFields): listed JSON paths become field selectors; others 400."""
    body = crd_body("selectables")
    body["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.host"}]
    try:
        crds.create_custom_resource_definition(body)
    except client.ApiException as exc:
        assert exc.status == 409
    for name, host in (("a", "one.test"), ("b", "two.test")):
        custom.create_namespaced_custom_object(
            GROUP,
            "v1",
            kube_namespace,
            "selectables",
            {**obj(name), "kind": "Selectable", "spec": {"host": host}},
        )
    got = custom.list_namespaced_custom_object(
        GROUP, "v1", kube_namespace, "selectables", field_selector="spec.host=two.test"
    )
    assert [i["metadata"]["name"] for i in got["items"]] == ["b"]
    with pytest.raises(client.ApiException) as err:
        custom.list_namespaced_custom_object(
            GROUP, "v1", kube_namespace, "selectables", field_selector="spec.replicas=1"
        )
    assert err.value.status == 400
