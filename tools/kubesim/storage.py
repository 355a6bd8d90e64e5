"""In-memory object storage with one global resourceVersion counter and watch history.

Stored objects are never mutated after they are stored, so readers may share them;
writers always hand in a fresh object.
"""

from __future__ import annotations

import builtins
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]
Key = tuple[str, str]  # (group, plural) of the storage
ObjKey = tuple[Key, str, str]  # (storage key, namespace, name)


@dataclass(frozen=True)
class Event:
    """A committed change, as watchers and controllers see it."""

    type: str  # ADDED, MODIFIED or DELETED
    key: Key
    obj: Obj
    old: Obj | None
    rv: int


class Subscriber(Protocol):
    """Something that receives committed events (a watcher); called under the lock."""

    def offer(self, event: Event) -> None: ...


def meta(obj: Obj) -> Obj:
    m: Obj = obj.setdefault("metadata", {})
    return m


class Store:
    """Objects by storage key, namespace and name; events fan out under one lock."""

    def __init__(self, history_size: int) -> None:
        self.lock = threading.RLock()
        self._rv = 1
        self._data: dict[Key, dict[tuple[str, str], Obj]] = {}
        self._history: deque[Event] = deque()
        self._history_size = history_size
        self._compacted = 0
        self._subscribers: set[Subscriber] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self._uids: dict[str, ObjKey] = {}
        self._dependents: dict[str, set[ObjKey]] = {}

    # -- reads -------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, key: Key, namespace: str, name: str) -> Obj | None:
        return self._data.get(key, {}).get((namespace, name))

    def list(self, key: Key, namespace: str | None = None) -> list[Obj]:
        with self.lock:
            items = self._data.get(key, {})
            keys = sorted(k for k in items if namespace is None or k[0] == namespace)
            return [items[k] for k in keys]

    def by_uid(self, uid: str) -> tuple[Key, Obj] | None:
        with self.lock:
            where = self._uids.get(uid)
            if where is None:
                return None
            obj = self.get(*where)
            return None if obj is None else (where[0], obj)

    def dependents(self, owner_uid: str) -> builtins.list[tuple[Key, Obj]]:
        with self.lock:
            out: builtins.list[tuple[Key, Obj]] = []
            for key, ns, name in sorted(self._dependents.get(owner_uid, ())):
                obj = self.get(key, ns, name)
                if obj is not None:
                    out.append((key, obj))
            return out

    def keys(self) -> builtins.list[Key]:
        with self.lock:
            return list(self._data)

    # -- writes ------------------------------------------------------------------

    def next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def create(self, key: Key, obj: Obj) -> Obj:
        with self.lock:
            m = meta(obj)
            rv = self.next_rv()
            m["resourceVersion"] = str(rv)
            ns = m.get("namespace", "")
            self._data.setdefault(key, {})[(ns, m["name"])] = obj
            self._index(key, obj, None)
            self._emit(Event("ADDED", key, obj, None, rv))
            return obj

    def update(self, key: Key, obj: Obj, old: Obj) -> Obj:
        """Store ``obj`` over ``old``; an identical object is a no-op (same RV, no event)."""
        with self.lock:
            m = meta(obj)
            m["resourceVersion"] = old["metadata"]["resourceVersion"]
            if obj == old:
                return old
            rv = self.next_rv()
            m["resourceVersion"] = str(rv)
            self._data[key][(m.get("namespace", ""), m["name"])] = obj
            self._index(key, obj, old)
            self._emit(Event("MODIFIED", key, obj, old, rv))
            return obj

    def delete(self, key: Key, obj: Obj) -> Obj:
        """Remove the object; the DELETED event carries the deletion's RV."""
        with self.lock:
            m = obj["metadata"]
            self._data[key].pop((m.get("namespace", ""), m["name"]), None)
            rv = self.next_rv()
            final = {**obj, "metadata": {**m, "resourceVersion": str(rv)}}
            self._index(key, None, obj)
            self._emit(Event("DELETED", key, final, obj, rv))
            return final

    # -- events ------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        self._history.append(event)
        while len(self._history) > self._history_size:
            self._compacted = self._history.popleft().rv
        for sub in list(self._subscribers):
            sub.offer(event)
        for listener in self._listeners:
            listener(event)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Controllers: called under the lock for every event; must only enqueue."""
        with self.lock:
            self._listeners.append(listener)

    def subscribe(self, sub: Subscriber, since: int | None) -> int | None:
        """Register ``sub`` after replaying to it the events after ``since``.

        Returns the compaction RV (and registers nothing) when ``since`` is too old.
        """
        with self.lock:
            if since is not None:
                if since < self._compacted:
                    return self._compacted
                for event in self._history:
                    if event.rv > since:
                        sub.offer(event)
            self._subscribers.add(sub)
            return None

    def unsubscribe(self, sub: Subscriber) -> None:
        with self.lock:
            self._subscribers.discard(sub)

    def expire_history(self) -> None:
        """Forget all watch history: any resume from a past RV gets 410 Expired."""
        with self.lock:
            self._history.clear()
            self._compacted = self.next_rv()

    @property
    def compacted_rv(self) -> int:
        return self._compacted

    # -- indexes -----------------------------------------------------------------

    def _index(self, key: Key, new: Obj | None, old: Obj | None) -> None:
        ref = new or old
        assert ref is not None
        m = ref["metadata"]
        where: ObjKey = (key, m.get("namespace", ""), m["name"])
        if old is not None:
            for owner in old["metadata"].get("ownerReferences") or []:
                self._dependents.get(owner.get("uid", ""), set()).discard(where)
            if new is None:
                self._uids.pop(old["metadata"].get("uid", ""), None)
        if new is not None:
            self._uids[new["metadata"]["uid"]] = where
            for owner in new["metadata"].get("ownerReferences") or []:
                self._dependents.setdefault(owner.get("uid", ""), set()).add(where)
