"""DELETE semantics of the API server: preconditions, propagation, finalizers, graceful
Pod deletion, collections. Mixed into :class:`~.api.Api`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from . import views
from .clock import format_time
from .errors import ApiError, validation_error
from .resources import ResourceType
from .strategies import clone

if TYPE_CHECKING:
    from .clock import Clock
    from .crds import CrdManager
    from .storage import Store

Obj = dict[str, Any]

_JOB_DELETE_WARNING = (
    '299 - "child pods are preserved by default when jobs are deleted; set '
    "propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress "
    'this warning"'
)


@dataclass
class DeleteOptions:
    """The parts of metav1.DeleteOptions that change behaviour."""

    propagation_policy: str | None = None
    orphan_dependents: bool | None = None
    grace_period_seconds: int | None = None
    preconditions: Obj = field(default_factory=dict)
    dry_run: bool = False

    @classmethod
    def from_dict(cls, body: Obj) -> DeleteOptions:
        return cls(
            body.get("propagationPolicy"),
            body.get("orphanDependents"),
            body.get("gracePeriodSeconds"),
            body.get("preconditions") or {},
            bool(body.get("dryRun")),
        )


@dataclass
class Result:
    """An object answer plus what the HTTP layer needs to send it."""

    obj: Obj
    code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: For deletes that removed the object: answer a Success Status, not the object.
    status_body: Obj | None = None


class _Api(Protocol):
    """What deleting needs of :class:`~.api.Api`."""

    store: Store
    clock: Clock
    crds: CrdManager

    def now(self) -> str: ...

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj: ...

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Obj: ...

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions
    ) -> Result: ...

    def _delete_again(
        self, rt: ResourceType, old: Obj, grace: int, dry_run: bool, headers: dict[str, str]
    ) -> Result: ...

    def _grace_period(self, rt: ResourceType, obj: Obj, options: DeleteOptions) -> int: ...

    @staticmethod
    def _success(rt: ResourceType, obj: Obj) -> Obj: ...


class Deletes:
    """The DELETE verbs of :class:`~.api.Api`."""

    def delete(
        self: _Api, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions
    ) -> Result:
        """DELETE of one object, with finalizers, propagation and graceful pod deletion."""
        with self.store.lock:
            old = self.get(rt, namespace, name)
            om = old["metadata"]
            pre = options.preconditions
            if pre.get("uid") and pre["uid"] != om["uid"]:
                raise _precondition(rt, name, "UID", pre["uid"], om["uid"])
            if pre.get("resourceVersion") and pre["resourceVersion"] != om["resourceVersion"]:
                raise _precondition(
                    rt, name, "ResourceVersion", pre["resourceVersion"], om["resourceVersion"]
                )
            headers: dict[str, str] = {}
            policy = options.propagation_policy
            if policy is None and options.orphan_dependents is not None:
                policy = "Orphan" if options.orphan_dependents else "Background"
            if policy is None:
                policy = rt.default_propagation
                if rt.kind == "Job" and rt.group == "batch":
                    headers["Warning"] = _JOB_DELETE_WARNING
            if policy not in ("Orphan", "Background", "Foreground"):
                raise validation_error(
                    rt,
                    name,
                    [("propagationPolicy", f"{policy} is not valid")],
                    kind_override="DeleteOptions",
                )
            grace = self._grace_period(rt, old, options)
            finalizers = list(om.get("finalizers") or [])
            if om.get("deletionTimestamp"):
                return self._delete_again(rt, old, grace, options.dry_run, headers)
            if policy == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            if policy == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if policy != "Orphan" and "orphan" in finalizers and options.propagation_policy:
                finalizers.remove("orphan")
            if finalizers or grace > 0 or rt.kind in ("Namespace", "CustomResourceDefinition"):
                new = clone(old)
                nm = new["metadata"]
                if rt.kind == "Pod":
                    nm["deletionTimestamp"] = format_time(
                        self.clock.now() + timedelta(seconds=grace)
                    )
                else:
                    nm["deletionTimestamp"] = self.now()
                nm["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    nm["finalizers"] = finalizers
                if rt.has_generation and int(nm.get("generation", 0)) > 0:
                    nm["generation"] = int(nm["generation"]) + 1
                if rt.kind == "Namespace":
                    new.setdefault("status", {})["phase"] = "Terminating"
                code = 202 if options.orphan_dependents is False else 200
                if options.dry_run:
                    return Result(new, code, headers)
                stored = self.store.update(rt.storage_key, new, old)
                if rt.kind == "CustomResourceDefinition":
                    self.crds.deleting(stored)
                return Result(stored, code, headers)
            if options.dry_run:
                return Result(old, 200, headers, self._success(rt, old))
            final = self.store.delete(rt.storage_key, old)
            status = None if rt.kind == "Pod" else self._success(rt, final)
            return Result(final, 200, headers, status)

    def _delete_again(
        self: _Api, rt: ResourceType, old: Obj, grace: int, dry_run: bool, headers: dict[str, str]
    ) -> Result:
        om = old["metadata"]
        if rt.kind == "Pod" and grace == 0 and om.get("deletionGracePeriodSeconds") and not dry_run:
            new = clone(old)
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            if not om.get("finalizers"):
                return Result(self.store.delete(rt.storage_key, old), 200, headers)
            return Result(self.store.update(rt.storage_key, new, old), 200, headers)
        return Result(old, 200, headers)

    def _grace_period(self: _Api, rt: ResourceType, obj: Obj, options: DeleteOptions) -> int:
        if rt.kind != "Pod":
            return 0
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if options.grace_period_seconds is not None:
            return max(0, int(options.grace_period_seconds))
        return int(spec.get("terminationGracePeriodSeconds", 30))

    @staticmethod
    def _success(rt: ResourceType, obj: Obj) -> Obj:
        details: Obj = {
            "name": obj["metadata"]["name"],
            "kind": rt.plural,
            "uid": obj["metadata"].get("uid"),
        }
        if rt.group:
            details["group"] = rt.group
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    def delete_collection(
        self: _Api,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        options: DeleteOptions,
    ) -> Obj:
        """DELETE of a collection: answers the list of the deleted items."""
        with self.store.lock:
            listed = self.list(rt, namespace, label_selector, field_selector)
            deleted = []
            for item in listed["items"]:
                m = item["metadata"]
                try:
                    result = self.delete(rt, m.get("namespace"), m["name"], options)
                except ApiError as exc:
                    if exc.code != 404:
                        raise
                    continue
                deleted.append(views.present(rt, result.obj))
            return {**listed, "items": deleted}


def _precondition(rt: ResourceType, name: str, what: str, wanted: str, actual: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f"Precondition failed: {what} in precondition: {wanted}, {what} in object meta: {actual}",
        rt.group_resource.details(name),
    )
