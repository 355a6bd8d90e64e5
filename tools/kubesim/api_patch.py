"""PATCH of the API server: which media types a resource accepts, and the patched object."""

from __future__ import annotations

from typing import Any

from . import patch
from .errors import ApiError, bad_request, conflict
from .resources import ResourceType
from .schemas import kind_schema
from .strategies import clone

Obj = dict[str, Any]


def check_patch_request(rt: ResourceType, content_type: str, field_manager: str | None) -> None:
    """Refuse a media type ``rt`` does not accept (415), and apply without a field manager."""
    if content_type not in (
        patch.JSON_PATCH,
        patch.MERGE_PATCH,
        patch.STRATEGIC_PATCH,
        patch.APPLY_PATCH,
    ) or (not rt.builtin and content_type == patch.STRATEGIC_PATCH):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(
                patch.CR_PATCH_TYPES
                if not rt.builtin
                else (
                    patch.JSON_PATCH,
                    patch.MERGE_PATCH,
                    patch.APPLY_PATCH,
                    patch.STRATEGIC_PATCH,
                )
            ),
        )
    if content_type == patch.APPLY_PATCH and not field_manager:
        raise ApiError(
            422,
            "Invalid",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
            "for apply patch",
            {
                "group": "meta.k8s.io",
                "kind": "PatchOptions",
                "causes": [
                    {
                        "reason": "FieldValueRequired",
                        "message": "Required value: is required for apply patch",
                        "field": "fieldManager",
                    }
                ],
            },
        )


def patched_object(
    rt: ResourceType, content_type: str, current: Obj, body: Any, applied: Obj | None
) -> Any:
    """``current`` patched with ``body`` as ``content_type`` says (``applied``: what this field
    manager applied before, for server-side apply)."""
    if content_type == patch.JSON_PATCH:
        patched = patch.json_patch(clone(current), body)
    elif not isinstance(body, dict):
        raise bad_request("patch body must be a JSON object")
    elif content_type == patch.APPLY_PATCH:
        schema = (kind_schema(rt.api_version, rt.kind) or {}) if rt.builtin else {}
        effective = patch.apply_patch(applied, body, schema, rt.builtin)
        if rt.builtin:
            patched = patch.strategic_merge(current, effective, schema)
        else:
            patched = patch.merge_patch(current, effective)
    elif content_type == patch.MERGE_PATCH:
        patched = patch.merge_patch(current, body)
    else:
        schema = kind_schema(rt.api_version, rt.kind) or {}
        patched = patch.strategic_merge(current, body, schema)
    return patched


def as_update(rt: ResourceType, name: str, body: Any, patched: Any, stored_rv: str) -> None:
    """Check ``patched`` is an update of object ``name`` at ``stored_rv`` and pin it there:
    an object keeping its name, from a patch naming no other resourceVersion (409)."""
    if not isinstance(patched, dict):
        raise bad_request("patch result must be an object")
    pm = patched.setdefault("metadata", {})
    if not isinstance(pm, dict):
        raise bad_request("metadata must be an object")
    wanted_rv = (
        (body.get("metadata") or {}).get("resourceVersion")
        if isinstance(body, dict)
        else pm.get("resourceVersion")
    )
    if wanted_rv and wanted_rv != stored_rv:
        raise conflict(rt.group_resource, name)
    if pm.get("name", name) != name:
        raise bad_request(
            f"the name of the object ({pm['name']}) does not match the name on the URL ({name})"
        )
    pm["resourceVersion"] = stored_rv
