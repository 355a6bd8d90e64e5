"""The real Kubernetes JSON schemas (shipped by ``kubernetes-validate``), loaded once."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources as importlib_resources
from typing import Any, cast

Obj = dict[str, Any]

SCHEMA_VERSION = "v1.37.0-local"


def _read(name: str) -> Obj:
    root = importlib_resources.files("kubernetes_validate") / "kubernetes-json-schema"
    return cast(Obj, json.loads((root / SCHEMA_VERSION / name).read_text()))


@functools.cache
def definitions() -> Obj:
    """The shared ``_definitions.json`` document."""
    return _read("_definitions.json")


@functools.cache
def kind_schema(api_version: str, kind: str) -> Obj | None:
    """The top-level schema of a built-in kind, or None if it is not known."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        return _read(f"{kind.lower()}-{group_version}.json")
    except FileNotFoundError:
        return None


def resolve(node: Obj | None) -> Obj:
    """Follow ``$ref`` links into the definitions (empty dict for None)."""
    while node and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = definitions()["$defs"].get(name)
    return node or {}


def child(node: Obj, key: str) -> Obj:
    """The schema of property ``key`` (or of map values) under ``node``."""
    node = resolve(node)
    props = node.get("properties") or {}
    if key in props:
        return resolve(props[key])
    extra = node.get("additionalProperties")
    return resolve(extra) if isinstance(extra, dict) else {}


def items(node: Obj) -> Obj:
    node = resolve(node)
    return resolve(node.get("items")) if isinstance(node.get("items"), dict) else {}


def unknown_fields(value: Any, node: Obj | None, path: str = "", drop: bool = False) -> list[str]:
    """Paths of fields the schema does not declare (what Go's decoder would drop).

    With ``drop`` they are removed from ``value`` in place.
    """
    node = resolve(node)
    out: list[str] = []
    if isinstance(value, dict):
        props = node.get("properties")
        extra = node.get("additionalProperties")
        for key in list(value):
            where = f"{path}.{key}" if path else key
            if props is not None and key in props:
                out += unknown_fields(value[key], props[key], where, drop)
            elif isinstance(extra, dict):
                out += unknown_fields(value[key], extra, where, drop)
            elif props is not None and not extra:
                out.append(where)
                if drop:
                    del value[key]
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            out += unknown_fields(item, node["items"], f"{path}[{i}]", drop)
    return out
