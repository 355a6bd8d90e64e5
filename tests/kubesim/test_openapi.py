# The official client types its bodies as models; these tests send plain dicts.
# mypy: disable-error-code="arg-type"
"""The OpenAPI v3 document of a custom resource, as the API server publishes it for
``kubectl explain``: the CRD's schema with its descriptions, and the type and object
metadata fields described as for every Kubernetes object."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from kubernetes import client

from tests.kubesim.test_crds import GROUP, SCHEMA, crd_body
from tools.kubesim.testing import wait_for

Obj = dict[str, Any]


def described_crd() -> Obj:
    # Its own kind: the Helm test leaves its chart's gizmos CRD behind, as Helm does.
    body = crd_body("manuals")
    schema = copy.deepcopy(SCHEMA)
    schema["description"] = "A manual."
    schema["properties"]["spec"]["description"] = "What the manual should be."
    schema["properties"]["spec"]["properties"]["host"]["description"] = "Where it runs."
    schema["properties"]["spec"]["properties"]["tags"]["items"]["description"] = "One tag."
    body["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = schema
    return body


def published_schema(url: str) -> Obj:
    with httpx.Client(base_url=url, trust_env=False, timeout=10) as http:
        index = http.get("/openapi/v3").json()
        path = index["paths"][f"apis/{GROUP}/v1"]["serverRelativeURL"]
        document = http.get(path).json()
    reverse = ".".join(reversed(GROUP.split(".")))
    schema: Obj = document["components"]["schemas"][f"{reverse}.v1.Manual"]
    return schema


def wait_published(url: str) -> Obj:
    return wait_for(lambda: published_schema(url), 10, "manual schema", ignoring=(KeyError,))


def test_crd_descriptions_are_published_at_every_level(
    kubesim: Any, crds: client.ApiextensionsV1Api
) -> None:
    crds.create_custom_resource_definition(described_crd())
    try:
        schema = wait_published(kubesim.url)
        spec = schema["properties"]["spec"]

        assert schema["description"] == "A manual."
        assert spec["description"] == "What the manual should be."
        assert spec["properties"]["host"]["description"] == "Where it runs."
        assert spec["properties"]["tags"]["items"]["description"] == "One tag."
    finally:
        crds.delete_custom_resource_definition(f"manuals.{GROUP}")


def test_type_and_object_metadata_are_described_like_any_object(
    kubesim: Any, crds: client.ApiextensionsV1Api
) -> None:
    crds.create_custom_resource_definition(described_crd())
    try:
        properties = wait_published(kubesim.url)["properties"]

        assert properties["apiVersion"]["type"] == "string"
        assert "versioned schema" in properties["apiVersion"]["description"]
        assert "REST resource" in properties["kind"]["description"]
        assert "metadata" in properties["metadata"]["description"]
        assert properties["metadata"]["$ref"].endswith("meta.v1.ObjectMeta")
        assert "enum" not in properties["kind"]
    finally:
        crds.delete_custom_resource_definition(f"manuals.{GROUP}")
