"""OpenAPI v3 documents (``/openapi/v3``), built from the same real schemas.

Helm and kubectl download them for client-side validation. Built-in definitions come
from ``kubernetes-validate``'s JSON schemas (converted to OpenAPI 3.0 shape); custom
resources publish their CRD's structural schema.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from .resources import Registry
from .schemas import definitions

Obj = dict[str, Any]


def _convert(node: Any) -> Any:
    """JSON-schema 2020-12 (``$defs``, type lists with "null") -> OpenAPI 3.0."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: Obj = {}
    for key, value in node.items():
        if key in ("$schema", "$id"):
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = "#/components/schemas/" + value.rsplit("/", 1)[-1]
        elif key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            if kinds:
                out["type"] = kinds[0]
        elif key in ("properties", "patternProperties"):
            out[key] = {k: _convert(v) for k, v in value.items()}
        else:
            out[key] = _convert(value)
    return out


@functools.cache
def _builtin_schemas() -> Obj:
    converted: Obj = {name: _convert(d) for name, d in definitions()["$defs"].items()}
    return converted


def _object_meta_fields() -> Obj:
    """``apiVersion``, ``kind`` and ``metadata`` as every object has them.

    The API server publishes a custom resource with these three replaced by the
    described ones of TypeMeta and ObjectMeta, whatever the CRD says of them.
    """
    properties = _builtin_schemas()["io.k8s.api.core.v1.ConfigMap"]["properties"]
    fields = {name: dict(properties[name]) for name in ("apiVersion", "kind", "metadata")}
    for name in ("apiVersion", "kind"):
        fields[name].pop("enum", None)
    return fields


def _crd_schemas(registry: Registry, group: str, version: str) -> Obj:
    out: Obj = {}
    for rt in registry.all():
        if rt.builtin or rt.group != group or rt.version != version or rt.crd_version is None:
            continue
        schema = ((rt.crd_version.get("schema") or {}).get("openAPIV3Schema")) or {}
        body = json.loads(json.dumps(schema))
        body.setdefault("type", "object")
        body.setdefault("properties", {}).update(_object_meta_fields())
        body["x-kubernetes-group-version-kind"] = [
            {"group": group, "version": version, "kind": rt.kind}
        ]
        reverse = ".".join(reversed(group.split(".")))
        out[f"{reverse}.{version}.{rt.kind}"] = body
    return out


_QUERY = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _paths(registry: Registry, group: str, version: str) -> Obj:
    """Object paths with their operations; clients read the PATCH operation's
    parameters to learn that the server validates fields (``fieldValidation``)."""
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: Obj = {}
    for rt in registry.all():
        if rt.group != group or rt.version != version:
            continue
        scope = "/namespaces/{namespace}" if rt.namespaced else ""
        gvk = {"group": group, "version": version, "kind": rt.kind}
        params = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in _QUERY]
        ok = {"200": {"description": "OK"}}
        paths[f"{prefix}{scope}/{rt.plural}/{{name}}"] = {
            verb: {
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": ok,
                "operationId": f"{verb}{rt.kind}",
            }
            for verb in ("get", "put", "patch", "delete")
        }
        paths[f"{prefix}{scope}/{rt.plural}"] = {
            verb: {
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": ok,
                "operationId": f"{verb}{rt.kind}List",
            }
            for verb in ("get", "post")
        }
    return paths


def document(registry: Registry, group: str, version: str) -> Obj | None:
    """The OpenAPI v3 document of one group/version (None when not served)."""
    if not any(rt.group == group and rt.version == version for rt in registry.all()):
        return None
    schemas = dict(_builtin_schemas())
    schemas.update(_crd_schemas(registry, group, version))
    gv = f"{group}/{version}" if group else version
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": _paths(registry, group, version),
        "components": {"schemas": schemas},
        "x-kubesim-group-version": gv,
    }


def index(registry: Registry) -> Obj:
    """``/openapi/v3``: one entry per served group/version."""
    paths: Obj = {}
    seen: set[tuple[str, str]] = set()
    for rt in registry.all():
        if (rt.group, rt.version) in seen:
            continue
        seen.add((rt.group, rt.version))
        path = f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"
        names = sorted(
            r.plural + r.kind
            for r in registry.all()
            if r.group == rt.group and r.version == rt.version
        )
        digest = hashlib.sha256("|".join(names).encode()).hexdigest()[:32].upper()
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}
