"""The REST semantics of the API server, independent of HTTP.

Both the HTTP layer and the built-in controllers go through :class:`Api`, so the
controllers are subject to the same rules (resourceVersion, finalizers, status)
as any client. Every write runs under the store lock, so a read-modify-write here
is atomic.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any, cast

from . import crds, crdschema, patch, strategies, validation, views
from .admission_policy import AdmissionPolicies
from .api_delete import DeleteOptions, Deletes, Result
from .api_patch import as_update, check_patch_request, patched_object
from .clock import Clock, format_time
from .context import RequestContext
from .errors import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    expired,
    invalid_error,
    not_found,
    validation_error,
)
from .limits import check_stored_size
from .resources import Registry, ResourceType
from .schemas import kind_schema, unknown_fields
from .selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from .settings import Settings
from .storage import Store
from .strategies import clone

Obj = dict[str, Any]

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_NAME_ATTEMPTS = 8
# Metadata the server sets: ignored on create, carried over from the stored object on update.
_SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)


def generate_name(base: str) -> str:
    return base[:58] + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


class Api(Deletes):
    """CRUD, list and watch semantics over the store for every served resource."""

    def __init__(self, settings: Settings, registry: Registry, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.clock = clock
        self.crds = crds.CrdManager(self)
        self.context = RequestContext()
        self.admission = AdmissionPolicies(self)
        #: What each field manager last applied, per (uid, manager, subresource).
        self._applied: dict[tuple[str, str, str], Any] = {}

    def begin_request(self, field_validation: str | None) -> None:
        self.context.field_validation = field_validation or "Warn"
        self.context.warnings, self.context.active = [], True

    def take_warnings(self) -> list[str]:
        out, self.context.warnings = self.context.warnings, []
        self.context.field_validation, self.context.active = "Ignore", False
        return out

    def _unknown_fields(self, rt: ResourceType, obj: Obj) -> None:
        """fieldValidation: Strict refuses unknown fields (400), Warn reports them in a
        Warning header, Ignore drops them silently; built-ins drop them in every case."""
        if rt.builtin:
            schema = kind_schema(obj.get("apiVersion", rt.api_version), obj.get("kind", rt.kind))
            if schema is None:
                return
            unknown = unknown_fields(obj, schema, drop=self.context.field_validation != "Strict")
        else:
            version_schema = ((rt.crd_version or {}).get("schema") or {}).get("openAPIV3Schema")
            unknown = crdschema.unknown_fields(obj, version_schema or {})
        if not unknown:
            return
        if self.context.field_validation == "Strict":
            # The decoder's strict error, as the create/update handlers' transformDecodeError
            # wraps it, for built-ins and custom resources alike.
            text = ", ".join(f'unknown field "{u}"' for u in unknown)
            kind = obj.get("kind") or rt.kind
            version = str(obj.get("apiVersion") or rt.api_version).rpartition("/")[2]
            raise bad_request(
                f'{kind} in version "{version}" cannot be handled as a {rt.kind}: '
                f"strict decoding error: {text}"
            )
        if self.context.field_validation == "Warn":
            self.context.warnings += [f'unknown field "{u}"' for u in unknown]

    # -- lookups -------------------------------------------------------------------

    def now(self) -> str:
        return format_time(self.clock.now())

    def resource(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.registry.lookup(group, version, plural)
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rt

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        return self.registry.by_kind(api_version, kind)

    def _ns(self, rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if obj is None:
            raise not_found(rt.group_resource, name)
        return obj

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self.store.get(rt.storage_key, self._ns(rt, namespace), name)

    def _require_namespace(
        self, namespace: str, creating: bool, rt: ResourceType, name: str
    ) -> None:
        ns_rt = self.registry.lookup("", "v1", "namespaces")
        assert ns_rt is not None
        ns = self.store.get(ns_rt.storage_key, "", namespace)
        if ns is None:
            raise not_found(ns_rt.group_resource, namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f'{rt.group_resource} "{name}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated",
                {
                    **rt.group_resource.details(name),
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "field": "metadata.namespace",
                            "message": f"namespace {namespace} is being terminated",
                        }
                    ],
                },
            )

    # -- list ----------------------------------------------------------------------

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> Obj:
        """A ``<Kind>List`` with ``metadata.resourceVersion`` and ``items`` always set."""
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.field_labels, self.describe(rt))
        with self.store.lock:
            rv = self.store.resource_version
            start: tuple[str, str] | None = None
            if continue_token:
                start, rv = self._decode_continue(continue_token)
            objs = self.store.list(rt.storage_key, namespace if rt.namespaced else None)
        if start is not None:
            objs = [
                o
                for o in objs
                if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start
            ]
        matched = [o for o in objs if labels_match(labels, o) and fields_match(fields, o)]
        list_meta: Obj = {"resourceVersion": str(rv)}
        if limit and limit > 0 and len(matched) > limit:
            last = matched[limit - 1]["metadata"]
            token = {"rv": rv, "start": [last.get("namespace", ""), last["name"]]}
            list_meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            if not labels and not fields:
                list_meta["remainingItemCount"] = len(matched) - limit
            matched = matched[:limit]
        items = [views.present(rt, o) for o in matched]
        if rt.builtin:
            items = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in items]
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": list_meta,
            "items": items,
        }

    def _decode_continue(self, token: str) -> tuple[tuple[str, str], int]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            start, rv = (str(data["start"][0]), str(data["start"][1])), int(data["rv"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise bad_request(f"invalid continue token: {exc}") from exc
        if rv < self.store.compacted_rv:
            raise expired(
                "The provided continue parameter is too old to display a consistent list result. "
                "You can start a new list without the continue parameter, or use the continue "
                "token in this response to retrieve the remainder of the results. Continuing with "
                "the provided token results in an inconsistent list - objects that were created, "
                "modified, or deleted between the time the first chunk was returned and now may "
                "show up in the list."
            )
        return start, rv

    @staticmethod
    def describe(rt: ResourceType) -> str:
        return f"{rt.api_version}, Resource={rt.plural}"

    # -- create --------------------------------------------------------------------

    def create(
        self, rt: ResourceType, namespace: str | None, body: Any, dry_run: bool = False
    ) -> Obj:
        """POST: 201 semantics; returns the stored object."""
        obj = self._decode_body(rt, body)
        m = obj.setdefault("metadata", {})
        if not isinstance(m, dict):
            raise bad_request("metadata must be an object")
        if m.get("resourceVersion"):
            raise ApiError(500, "", "resourceVersion should not be set on objects to be created")
        self._fill_namespace(rt, namespace, m)
        for key in (*_SERVER_METADATA, "managedFields", "selfLink"):
            m.pop(key, None)
        if not m.get("name") and not m.get("generateName"):
            raise validation_error(rt, "", [("metadata.name", "name or generateName is required")])
        with self.store.lock:
            if rt.namespaced:
                self._require_namespace(m["namespace"], True, rt, m.get("name") or "")
            for _ in range(_MAX_NAME_ATTEMPTS):
                candidate = clone(obj)
                cm = candidate["metadata"]
                if not cm.get("name"):
                    cm["name"] = generate_name(cm["generateName"])
                existing = self.store.get(rt.storage_key, cm.get("namespace", ""), cm["name"])
                if existing is None or m.get("name"):
                    break
            cm["uid"] = str(uuid.uuid4())
            cm["creationTimestamp"] = self.now()
            if rt.has_generation:
                cm["generation"] = 1
            self._prepare_create(rt, candidate)
            self._validate(rt, candidate, None)
            self.admission.admit(rt, candidate, None, None, dry_run)
            if existing is not None:
                prefix = (
                    "object is being deleted: "
                    if existing["metadata"].get("deletionTimestamp")
                    else ""
                )
                raise already_exists(rt.group_resource, cm["name"], prefix)
            if dry_run:
                return cast(Obj, candidate)
            check_stored_size(candidate, self.settings.etcd_max_request_bytes)
            stored = self.store.create(rt.storage_key, candidate)
            if rt.kind == "CustomResourceDefinition":
                self.crds.created(stored)
            return stored

    def _decode_body(self, rt: ResourceType, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request was not a JSON object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
        return views.accept(rt, clone(body))

    def _fill_namespace(self, rt: ResourceType, namespace: str | None, m: Obj) -> None:
        if not rt.namespaced:
            m.pop("namespace", None)
            return
        if m.get("namespace") and namespace and m["namespace"] != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        m["namespace"] = namespace or m.get("namespace") or "default"

    def _prepare_create(self, rt: ResourceType, obj: Obj) -> None:
        if rt.builtin:
            strategies.prepare_for_create(obj.get("kind", rt.kind), rt.group, obj)
            if rt.kind == "CustomResourceDefinition":
                self.crds.prepare(obj)
        elif rt.has_status:
            obj.pop("status", None)

    def _validate(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        self._unknown_fields(rt, views.present(rt, obj) if rt.group == "events.k8s.io" else obj)
        if rt.builtin:
            try:
                strategies.normalise_times(obj)
            except ValueError as exc:
                raise bad_request(
                    f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {exc}'
                ) from exc
            old_view = None if old is None else views.present(rt, old)
            validation.validate_builtin(views.present(rt, obj), rt.group, old_view)
            if rt.kind == "CustomResourceDefinition":
                self.crds.validate(obj)
        else:
            crds.validate_custom(rt, obj, old)

    # -- update --------------------------------------------------------------------

    def update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """PUT (object or ``/status``)."""
        obj = self._decode_body(rt, body)
        m = obj.setdefault("metadata", {})
        if m.get("name") and m["name"] != name:
            raise bad_request(
                f"the name of the object ({m['name']}) does not match the name on the URL ({name})"
            )
        self._fill_namespace(rt, namespace, m)
        m["name"] = name
        with self.store.lock:
            old = self.get(rt, namespace, name)
            rv = m.get("resourceVersion")
            if not rv and not rt.builtin:
                raise validation_error(
                    rt,
                    name,
                    [("metadata.resourceVersion", "must be specified for an update")],
                    value=0,
                )
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(rt.group_resource, name)
            return self._commit_update(rt, obj, old, subresource, dry_run)

    def _commit_update(
        self, rt: ResourceType, obj: Obj, old: Obj, subresource: str | None, dry_run: bool
    ) -> Obj:
        om = old["metadata"]
        if subresource == "status":
            new = clone(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
        else:
            new = obj
            if rt.has_status or rt.kind == "Namespace":
                if "status" in old:
                    new["status"] = clone(old["status"])
                else:
                    new.pop("status", None)
        nm = new["metadata"]
        for key in (*_SERVER_METADATA, "namespace", "name"):
            if key in om:
                nm[key] = om[key]
            else:
                nm.pop(key, None)
        nm.pop("managedFields", None)
        if om.get("deletionTimestamp"):
            added = set(nm.get("finalizers") or []) - set(om.get("finalizers") or [])
            if added:
                raise validation_error(
                    rt,
                    om["name"],
                    [
                        (
                            "metadata.finalizers",
                            "no new finalizers can be added if the object is being "
                            "deleted, found new finalizers " + json.dumps(sorted(added)),
                        )
                    ],
                    kind="Forbidden",
                )
        if rt.builtin:
            strategies.prepare_for_update(rt.kind, new, old)
            if subresource is None:
                immutable = validation.update_errors(rt.kind, new, old)
                if immutable:
                    raise invalid_error(rt.kind, rt.group, om["name"], immutable)
        if rt.has_generation and strategies.spec_changed(
            rt.kind, new, old, rt.builtin, rt.has_status
        ):
            nm["generation"] = int(om.get("generation", 0)) + 1
        if not nm.get("finalizers"):
            nm.pop("finalizers", None)
        self._validate(rt, new, old)
        self.admission.admit(rt, new, old, subresource, dry_run)
        if dry_run:
            return cast(Obj, new)
        check_stored_size(new, self.settings.etcd_max_request_bytes)
        if (
            om.get("deletionTimestamp")
            and not nm.get("finalizers")
            and not om.get("deletionGracePeriodSeconds")
            and rt.kind != "Namespace"
        ):
            stored = self.store.update(rt.storage_key, new, old)
            return self.store.delete(rt.storage_key, stored)
        stored = self.store.update(rt.storage_key, new, old)
        if rt.kind == "CustomResourceDefinition":
            self.crds.updated(stored)
        return stored

    # -- patch ---------------------------------------------------------------------

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        content_type: str,
        raw: bytes,
        subresource: str | None = None,
        field_manager: str | None = None,
        dry_run: bool = False,
    ) -> Result:
        """PATCH with the algorithm the media type names; apply may create (201)."""
        check_patch_request(rt, content_type, field_manager)
        body = patch.decode_patch(content_type, raw)
        with self.store.lock:
            old = self.find(rt, namespace, name)
            if old is None:
                if content_type == patch.APPLY_PATCH and subresource is None:
                    if isinstance(body, dict):
                        body.setdefault("metadata", {})["name"] = name
                    created = self.create(rt, namespace, body, dry_run)
                    if not dry_run:
                        self._applied[(created["metadata"]["uid"], field_manager or "", "")] = (
                            clone(body)
                        )
                    return Result(created, 201)
                raise not_found(rt.group_resource, name)
            current = views.present(rt, old)
            key = (old["metadata"]["uid"], field_manager or "", subresource or "")
            patched = patched_object(rt, content_type, current, body, self._applied.get(key))
            as_update(rt, name, body, patched, old["metadata"]["resourceVersion"])
            obj = self._decode_body(rt, patched)
            stored = self._commit_update(rt, obj, old, subresource, dry_run)
            if content_type == patch.APPLY_PATCH and not dry_run:
                self._applied[key] = clone(body)
            return Result(stored)

    # -- helpers for controllers ----------------------------------------------------

    def mutate(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        change: Callable[[Obj], None],
        subresource: str | None = None,
    ) -> Obj | None:
        """Read, change and write back under the lock (None when the object is gone)."""
        with self.store.lock:
            old = self.find(rt, namespace, name)
            if old is None:
                return None
            new = clone(views.present(rt, old))
            change(new)
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            return self._commit_update(rt, views.accept(rt, new), old, subresource, False)


__all__ = ["Api", "DeleteOptions", "RequestContext", "Result", "generate_name"]
