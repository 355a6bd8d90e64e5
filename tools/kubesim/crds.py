"""CustomResourceDefinitions: admission, serving their resources, and cleanup."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import crdschema
from .errors import FieldError, invalid, invalid_error, required, unsupported
from .resources import ResourceType
from .strategies import clone
from .validation import name_errors

if TYPE_CHECKING:
    from .api import Api

Obj = dict[str, Any]

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def _condition(kind: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now,
    }


def resource_types(crd: Obj) -> list[ResourceType]:
    """One ResourceType per served version of the CRD."""
    spec = crd["spec"]
    names = spec["names"]
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = tuple(
            s for s in ("status", "scale") if s in (version.get("subresources") or {})
        )
        labels = tuple(f["jsonPath"].lstrip(".") for f in version.get("selectableFields") or [])
        out.append(
            ResourceType(
                spec["group"],
                version["name"],
                names["plural"],
                names.get("singular") or names["kind"].lower(),
                names["kind"],
                spec.get("scope", "Namespaced") == "Namespaced",
                subresources,
                tuple(names.get("shortNames") or ()),
                tuple(names.get("categories") or ()),
                builtin=False,
                has_generation=True,
                field_labels=labels,
                storage_group=spec["group"],
                storage_plural=names["plural"],
                crd_version=version,
            )
        )
    return out


class CrdManager:
    """Turns stored CRDs into served resources (after an optional delay)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def prepare(self, crd: Obj) -> None:
        now = self.api.now()
        spec = crd.get("spec") or {}
        established = self.api.settings.crd_establish_delay <= 0
        crd["metadata"].setdefault("finalizers", [CLEANUP_FINALIZER])
        storage = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
        crd["status"] = {
            "acceptedNames": clone(spec.get("names") or {}),
            "storedVersions": storage,
            "conditions": [
                _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", now),
                _condition(
                    "Established",
                    "True" if established else "False",
                    "InitialNamesAccepted" if established else "Installing",
                    "the initial names have been accepted"
                    if established
                    else "the CRD is being installed",
                    now,
                ),
            ],
        }

    def validate(self, crd: Obj) -> None:
        errors: list[FieldError] = []
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        for key in ("group", "scope"):
            if not spec.get(key):
                errors.append(required(f"spec.{key}"))
        for key in ("plural", "kind"):
            if not names.get(key):
                errors.append(required(f"spec.names.{key}"))
        if spec.get("scope") and spec["scope"] not in ("Namespaced", "Cluster"):
            errors.append(unsupported("spec.scope", spec["scope"], ["Cluster", "Namespaced"]))
        expected = f"{names.get('plural')}.{spec.get('group')}"
        if crd["metadata"].get("name") != expected:
            errors.append(
                invalid(
                    "metadata.name",
                    crd["metadata"].get("name"),
                    'must be spec.names.plural+"."+spec.group',
                )
            )
        versions = spec.get("versions") or []
        if not versions:
            errors.append(required("spec.versions"))
        if versions and sum(1 for v in versions if v.get("storage")) != 1:
            errors.append(
                invalid(
                    "spec.versions",
                    versions,
                    "must have exactly one version marked as storage version",
                )
            )
        for i, version in enumerate(versions):
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is None:
                errors.append(
                    required(f"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required")
                )
                continue
            errors += crdschema.check_rules_compile(
                schema, f"spec.versions[{i}].schema.openAPIV3Schema"
            )
        if errors:
            raise invalid_error(
                "CustomResourceDefinition",
                "apiextensions.k8s.io",
                crd["metadata"].get("name", ""),
                errors,
            )

    def created(self, crd: Obj) -> None:
        delay = self.api.settings.crd_establish_delay
        if delay <= 0:
            self._serve(crd)
            return
        name = crd["metadata"]["name"]
        timer = threading.Timer(delay, self._establish_later, (name,))
        timer.daemon = True
        timer.start()

    def _establish_later(self, name: str) -> None:
        rt = self.api.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rt is not None

        def establish(crd: Obj) -> None:
            for cond in crd["status"]["conditions"]:
                if cond["type"] == "Established":
                    cond.update(
                        status="True",
                        reason="InitialNamesAccepted",
                        message="the initial names have been accepted",
                        lastTransitionTime=self.api.now(),
                    )

        with self.api.store.lock:
            stored = self.api.mutate(rt, None, name, establish, "status")
            if stored is not None:
                self._serve(stored)

    def updated(self, crd: Obj) -> None:
        established = any(
            c["type"] == "Established" and c["status"] == "True"
            for c in (crd.get("status") or {}).get("conditions") or []
        )
        if established and not crd["metadata"].get("deletionTimestamp"):
            self._serve(crd)

    def _serve(self, crd: Obj) -> None:
        spec = crd["spec"]
        self.api.registry.remove_group_resource(spec["group"], spec["names"]["plural"])
        for rt in resource_types(crd):
            self.api.registry.add(rt)

    def deleting(self, crd: Obj) -> None:
        """Stop serving, delete every custom object, then drop the CRD itself."""
        spec = crd["spec"]
        key = (spec["group"], spec["names"]["plural"])
        store = self.api.store
        with store.lock:
            self.api.registry.remove_group_resource(*key)
            for obj in store.list(key):
                store.delete(key, obj)
            rt = self.api.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            assert rt is not None
            current = store.get(rt.storage_key, "", crd["metadata"]["name"])
            if current is not None:
                store.delete(rt.storage_key, current)


def validate_custom(rt: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Prune, default and validate a custom object in place (422 on violations)."""
    schema = ((rt.crd_version or {}).get("schema") or {}).get("openAPIV3Schema") or {}
    meta = obj.get("metadata") or {}
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    body = crdschema.drop_nulls(body, schema)
    body = crdschema.prune(body, schema)
    body = crdschema.default(body, schema)
    errors = name_errors(obj, rt.kind)
    old_body = None if old is None else {k: v for k, v in old.items() if k != "metadata"}
    errors += crdschema.validate(
        {**body, "apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": meta},
        schema,
        old_body,
        old is not None,
    )
    if errors:
        raise invalid_error(rt.kind, rt.group, meta.get("name", ""), errors)
    for key in [k for k in obj if k not in ("apiVersion", "kind", "metadata")]:
        del obj[key]
    obj.update(body)
