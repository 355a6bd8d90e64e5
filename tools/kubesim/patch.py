"""Patch algorithms: JSON merge patch, JSON patch, strategic merge patch and apply.

Strategic merge patch reads ``x-kubernetes-patch-strategy`` and
``x-kubernetes-patch-merge-key`` from the real schemas, so lists merge exactly where
the real server merges them (``finalizers`` as a set, ``containers`` by name, ...).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import jsonpointer
import yaml

from .errors import ApiError, bad_request
from .schemas import child, items, resolve

Obj = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
CR_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)

_GENERIC_422 = "the server rejected our request due to an error in our request"


def decode_patch(content_type: str, raw: bytes) -> Any:
    """Parse the patch body: YAML for apply, JSON otherwise (400 when malformed)."""
    try:
        if content_type == APPLY_PATCH:
            return yaml.safe_load(raw.decode())
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, lists are replaced, ``null`` deletes a key."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Obj, operations: Any) -> Obj:
    """RFC 6902; a failing operation is the real server's generic 422."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        result = jsonpatch.JsonPatch(operations).apply(target)
    except jsonpatch.InvalidJsonPatch as exc:
        raise bad_request(str(exc)) from exc
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise ApiError(422, "Invalid", _GENERIC_422) from exc
    if not isinstance(result, dict):
        raise ApiError(422, "Invalid", _GENERIC_422)
    return result


def strategic_merge(original: Any, patch: Any, schema: Obj) -> Any:
    """Strategic merge of ``patch`` into ``original`` guided by ``schema``."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name) or [] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
            continue
        sub = child(schema, key)
        if isinstance(value, dict):
            merged = strategic_merge(result.get(key), value, sub)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and "merge" in str(sub.get("x-kubernetes-patch-strategy")):
            result[key] = _merge_list(result.get(key) or [], value, sub)
        else:
            result[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(original: list[Any], patch: list[Any], schema: Obj) -> list[Any]:
    merge_key = resolve(schema).get("x-kubernetes-patch-merge-key")
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [p for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    if not merge_key:
        return list(original) + [v for v in patch if v not in original]
    item_schema = items(schema)
    result = [copy.deepcopy(i) for i in original]
    for entry in patch:
        if not isinstance(entry, dict):
            continue
        idx = next(
            (i for i, o in enumerate(result) if o.get(merge_key) == entry.get(merge_key)), None
        )
        if entry.get("$patch") == "delete":
            result = [o for o in result if o.get(merge_key) != entry.get(merge_key)]
        elif idx is None:
            result.append({k: v for k, v in entry.items() if not k.startswith("$")})
        else:
            result[idx] = strategic_merge(result[idx], entry, item_schema)
    return result


def apply_patch(previous: Any, applied: Any, schema: Obj, builtin: bool) -> Any:
    """The patch that server-side apply amounts to for one field manager.

    Fields this manager applied before and leaves out now are removed (as SSA does for
    fields a manager owns alone); everything else merges like a strategic merge patch
    (built-ins) or a merge patch (custom resources, whose lists are atomic). Ownership
    shared between managers and apply conflicts are not modelled.
    """
    if not isinstance(applied, dict):
        return copy.deepcopy(applied)
    out = copy.deepcopy(applied)
    if not isinstance(previous, dict):
        return out
    for key, before in previous.items():
        if key.startswith("$"):
            continue
        if key not in applied:
            out[key] = None
            continue
        now = applied[key]
        sub = child(schema, key) if builtin else {}
        if isinstance(before, dict) and isinstance(now, dict):
            out[key] = apply_patch(before, now, sub, builtin)
        elif (
            builtin
            and isinstance(before, list)
            and isinstance(now, list)
            and "merge" in str(sub.get("x-kubernetes-patch-strategy"))
        ):
            merge_key = resolve(sub).get("x-kubernetes-patch-merge-key")
            if merge_key:
                kept = {item.get(merge_key) for item in now if isinstance(item, dict)}
                earlier = {item.get(merge_key): item for item in before if isinstance(item, dict)}
                out[key] = [
                    apply_patch(earlier.get(item.get(merge_key)), item, items(sub), builtin)
                    if isinstance(item, dict)
                    else item
                    for item in now
                ] + [
                    {merge_key: item.get(merge_key), "$patch": "delete"}
                    for item in before
                    if isinstance(item, dict) and item.get(merge_key) not in kept
                ]
            else:
                gone = [v for v in before if v not in now]
                if gone:
                    out[f"$deleteFromPrimitiveList/{key}"] = gone
    return out
