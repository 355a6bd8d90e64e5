"""Garbage collector (ownerReferences: background, foreground, orphan) and the
namespace controller (deleting a namespace deletes its content)."""

from __future__ import annotations

from typing import Any

from .api import Api, DeleteOptions
from .controller import Controller
from .errors import ApiError
from .resources import ResourceType
from .settings import Settings
from .storage import Event, Key

Obj = dict[str, Any]
ObjKey = tuple[Key, str, str]


def _where(key: Key, obj: Obj) -> ObjKey:
    m = obj["metadata"]
    return (key, m.get("namespace", ""), m["name"])


class GarbageCollector(Controller):
    """Deletes dependents whose owners are gone and runs the orphan/foreground finalizers."""

    name = "garbage-collector"

    def __init__(self, api: Api, settings: Settings) -> None:
        super().__init__(api)
        self.delay = settings.gc_delay

    def on_event(self, event: Event) -> None:
        obj, m = event.obj, event.obj["metadata"]
        if m.get("ownerReferences"):
            self.enqueue(("dependent", _where(event.key, obj)), self.delay)
            for ref in m["ownerReferences"]:
                found = self.api.store.by_uid(ref.get("uid", ""))
                if found is not None and found[1]["metadata"].get("deletionTimestamp"):
                    self.enqueue(("owner", _where(*found)), self.delay)
        if event.type == "DELETED":
            for key, dep in self.api.store.dependents(m.get("uid", "")):
                self.enqueue(("dependent", _where(key, dep)), self.delay)
        finalizers = m.get("finalizers") or []
        if m.get("deletionTimestamp") and (
            "orphan" in finalizers or "foregroundDeletion" in finalizers
        ):
            self.enqueue(("owner", _where(event.key, obj)), self.delay)

    def _rt(self, key: Key) -> ResourceType | None:
        types = self.api.registry.for_storage(key)
        builtin = [rt for rt in types if rt.group == key[0]]
        candidates = builtin or types
        return candidates[0] if candidates else None

    def reconcile(self, item: Any) -> float | None:
        role, (key, namespace, name) = item
        rt = self._rt(key)
        if rt is None:
            return None
        obj = self.api.find(rt, namespace, name)
        if obj is None:
            return None
        if role == "dependent":
            return self._dependent(rt, obj)
        return self._owner(rt, obj)

    def _owner_present(self, dependent: Obj, ref: Obj) -> bool:
        found = self.api.store.by_uid(ref.get("uid", ""))
        if found is None:
            return False
        owner_ns = found[1]["metadata"].get("namespace", "")
        return not owner_ns or owner_ns == dependent["metadata"].get("namespace", "")

    def _dependent(self, rt: ResourceType, obj: Obj) -> float | None:
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs:
            return None
        present = [r for r in refs if self._owner_present(obj, r)]
        m = obj["metadata"]
        if not present:
            if not m.get("deletionTimestamp"):
                self.api.delete(
                    rt,
                    m.get("namespace"),
                    m["name"],
                    DeleteOptions(propagation_policy="Background"),
                )
            return None
        if len(present) != len(refs):
            keep = {r["uid"] for r in present}

            def drop_dangling(o: Obj) -> None:
                o["metadata"]["ownerReferences"] = [
                    r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") in keep
                ]

            self.api.mutate(rt, m.get("namespace"), m["name"], drop_dangling)
        return None

    def _owner(self, rt: ResourceType, owner: Obj) -> float | None:
        m = owner["metadata"]
        uid = m["uid"]
        finalizers = m.get("finalizers") or []
        dependents = self.api.store.dependents(uid)
        if "orphan" in finalizers:
            for key, dep in dependents:
                dep_rt = self._rt(key)
                if dep_rt is None:
                    continue

                def unlink(o: Obj) -> None:
                    o["metadata"]["ownerReferences"] = [
                        r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid
                    ]

                self.api.mutate(
                    dep_rt, dep["metadata"].get("namespace"), dep["metadata"]["name"], unlink
                )
            self._remove_finalizer(rt, owner, "orphan")
            return None
        if "foregroundDeletion" in finalizers:
            blocking = 0
            for key, dep in dependents:
                dep_rt = self._rt(key)
                if dep_rt is None:
                    continue
                dm = dep["metadata"]
                refs: list[Obj] = dm.get("ownerReferences") or []
                ref = next((r for r in refs if r.get("uid") == uid), {})
                if ref.get("blockOwnerDeletion"):
                    blocking += 1
                if not dm.get("deletionTimestamp"):
                    policy = "Foreground" if self.api.store.dependents(dm["uid"]) else "Background"
                    try:
                        self.api.delete(
                            dep_rt,
                            dm.get("namespace"),
                            dm["name"],
                            DeleteOptions(propagation_policy=policy),
                        )
                    except ApiError as exc:
                        if exc.code != 404:
                            raise
            if blocking == 0:
                self._remove_finalizer(rt, owner, "foregroundDeletion")
                return None
            return 0.1
        return None

    def _remove_finalizer(self, rt: ResourceType, obj: Obj, finalizer: str) -> None:
        def remove(o: Obj) -> None:
            o["metadata"]["finalizers"] = [
                f for f in o["metadata"].get("finalizers") or [] if f != finalizer
            ]

        m = obj["metadata"]
        self.api.mutate(rt, m.get("namespace"), m["name"], remove)


class NamespaceController(Controller):
    """Creates each namespace's ``default`` ServiceAccount; empties deleted namespaces."""

    name = "namespace-controller"

    def on_event(self, event: Event) -> None:
        if event.key == ("", "namespaces") and event.type != "DELETED":
            self.enqueue(event.obj["metadata"]["name"])

    def reconcile(self, name: str) -> float | None:
        ns_rt = self.api.resource("", "v1", "namespaces")
        ns = self.api.find(ns_rt, None, name)
        if ns is None:
            return None
        if not ns["metadata"].get("deletionTimestamp"):
            sa_rt = self.api.resource("", "v1", "serviceaccounts")
            if self.api.find(sa_rt, name, "default") is None:
                try:
                    self.api.create(sa_rt, name, {"metadata": {"name": "default"}})
                except ApiError as exc:
                    if exc.code not in (403, 404, 409):
                        raise
            return None
        remaining = 0
        seen: set[Key] = set()
        for rt in self.api.registry.all():
            if not rt.namespaced or rt.storage_key in seen:
                continue
            seen.add(rt.storage_key)
            for obj in self.api.store.list(rt.storage_key, name):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    try:
                        self.api.delete(
                            rt,
                            name,
                            obj["metadata"]["name"],
                            DeleteOptions(propagation_policy="Background"),
                        )
                    except ApiError as exc:
                        if exc.code != 404:
                            raise
        if remaining:
            return 0.1
        with self.api.store.lock:
            current = self.api.find(ns_rt, None, name)
            if current is not None:
                self.api.store.delete(ns_rt.storage_key, current)
        return None
