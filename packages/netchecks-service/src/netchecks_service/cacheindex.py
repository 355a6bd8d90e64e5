"""Secondary indexes of an informer's cache (client-go's ``Indexers``), e.g. children by owner.

An index function maps an object to the values it is found under (none, one or several);
:meth:`CacheIndex.keys` returns the keys of the objects found under one value, so a
controller reads one assertion's Jobs without scanning every cached Job. The informer
keeps the index in step with its store, under its own lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

ObjectKey = tuple[str, str]
IndexFunc = Callable[[dict[str, Any]], Iterable[str]]


class CacheIndex:
    """Named indexes: name -> value -> keys of the objects filed under that value.

    Not thread-safe by itself: the informer calls it while holding its lock.
    """

    def __init__(self, functions: Mapping[str, IndexFunc] | None = None) -> None:
        self.functions = dict(functions or {})
        self._entries: dict[str, dict[str, set[ObjectKey]]] = {n: {} for n in self.functions}

    def update(
        self, key: ObjectKey, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """File ``key`` under ``new``'s values instead of ``old``'s (either may be None)."""
        for name, function in self.functions.items():
            entries = self._entries[name]
            before = set(function(old)) if old is not None else set()
            after = set(function(new)) if new is not None else set()
            for value in before - after:
                keys = entries.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del entries[value]
            for value in after - before:
                entries.setdefault(value, set()).add(key)

    def rebuild(self, objects: Mapping[ObjectKey, dict[str, Any]]) -> None:
        """Index ``objects`` from scratch (after a list)."""
        self._entries = {name: {} for name in self.functions}
        for key, obj in objects.items():
            self.update(key, None, obj)

    def keys(self, name: str, value: str) -> list[ObjectKey]:
        """Keys of the objects filed under ``value`` in index ``name`` (KeyError: no such index)."""
        return list(self._entries[name].get(value, ()))


def label_index(label: str) -> IndexFunc:
    """An index function filing objects by the value of one label (none without it)."""

    def values(obj: dict[str, Any]) -> list[str]:
        value = ((obj.get("metadata") or {}).get("labels") or {}).get(label)
        return [value] if isinstance(value, str) and value else []

    return values


def owner_index(obj: dict[str, Any]) -> list[str]:
    """An index function filing objects by the UIDs of their owners."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [str(r["uid"]) for r in refs if isinstance(r, dict) and r.get("uid")]
