"""What an informer keeps of each object (transforms) and which updates it reports (predicates).

A *transform* (client-go's ``SetTransform``) runs on every object before it is cached and
handed to the event handlers: it keeps only the fields the controller reads, so a cache
of thousands of objects stays small. It must not change its argument (callers keep using
the objects they wrote) and must keep ``metadata.resourceVersion`` (the cache orders
versions by it).

A *predicate* ``(cached, incoming) -> bool`` (controller-runtime's update predicates) says
whether an update is worth an event. Both objects are transformed, so a change only in
fields the transform drops is no change. The default, :func:`changed`, ignores an update
that only moves ``resourceVersion``: that is the echo of this process's own write, which it
already put in the cache (:meth:`~netchecks_service.informer.Informer.remember`).
"""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

Obj = dict[str, Any]
Transform = Callable[[Obj], Obj]
Predicate = Callable[[Obj, Obj], bool]

#: What :func:`trimmed_metadata` keeps: identity, ownership, labels and annotations.
KEPT_METADATA = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "labels",
    "annotations",
    "ownerReferences",
)
#: What :func:`trimmed_metadata` keeps of an owner reference given ``owners``: what tells
#: whose child an object is (kind and name find the owner, uid and controller prove it).
OWNER_FIELDS = ("kind", "name", "uid", "controller")
#: ``kubectl apply`` copies the whole object into this annotation: nothing here reads it.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: Strings up to this length are shared between cached objects (see :func:`compact`).
SHARED_STRING_MAX = 64
#: Of an object's own metadata, the values that no other object repeats: a resourceVersion
#: is unique to one version of one object. Interning such a string shares nothing and costs
#: an entry in the interpreter's table of interned strings (which grows in steps, to about
#: three times the strings it holds): about 50 bytes each, for every cached object.
UNIQUE_METADATA = ("resourceVersion",)


def compact(value: Any, unique: tuple[str, ...] = ()) -> Any:
    """``value`` rebuilt with its keys and short strings shared (``sys.intern``).

    Each decoded JSON document has its own copy of every key and value: thousands of
    cached objects repeat the same label keys, namespaces, kinds and owner UIDs. Sharing
    them roughly halves what a trimmed object costs. The values of ``unique`` keys (of
    ``value`` itself, not of the dicts inside it) are kept as they are: nothing repeats
    them (see :data:`UNIQUE_METADATA`).
    """
    if isinstance(value, dict):
        return {
            sys.intern(k) if isinstance(k, str) else k: v if k in unique else compact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [compact(item) for item in value]
    if isinstance(value, str) and len(value) <= SHARED_STRING_MAX:
        return sys.intern(value)
    return value


class FrozenDict(dict[str, Any]):
    """A dict nobody can change: how equal small dicts are shared between cached objects.

    A plain dict in every way one reads it (``isinstance(x, dict)``, equality, JSON), but
    every method that would change it raises ``TypeError``: a dict shared by several cached
    objects, changed through one, would change them all. A copy (``copy.copy``,
    ``copy.deepcopy``, ``dict(x)``) is a plain dict again, free to change.
    """

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a cached dict shared between objects cannot be changed: copy it")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


class _SharedDicts:
    """The one :class:`FrozenDict` of each content in use (see :func:`shared`).

    The table holds each dict as key and value; one that nothing else holds any more
    (its reference count is the table's own two) is dropped whenever the table has
    doubled since it was last swept, so it never holds more than about twice what the
    caches use.
    """

    #: References to a dict that only the table holds: key, value, the sweep's loop
    #: variable and ``sys.getrefcount``'s argument.
    UNUSED = 4

    def __init__(self, sweep_at: int = 1024) -> None:
        self._table: dict[FrozenDict, FrozenDict] = {}
        self._lock = threading.Lock()
        self._floor = self._sweep_at = sweep_at

    def __len__(self) -> int:
        return len(self._table)

    def get(self, values: dict[str, Any]) -> FrozenDict:
        candidate = FrozenDict(values)
        with self._lock:
            found = self._table.get(candidate)
            if found is not None:
                return found
            self._table[candidate] = candidate
            if len(self._table) >= self._sweep_at:
                self.sweep()
            return candidate

    def sweep(self) -> None:
        """Drop the dicts nothing but the table holds (call holding the lock)."""
        unused = [d for d in self._table if sys.getrefcount(d) <= self.UNUSED]
        for d in unused:
            del self._table[d]
        self._sweep_at = max(self._floor, 2 * len(self._table))


_SHARED = _SharedDicts()


def shared(values: dict[str, Any]) -> dict[str, Any]:
    """One read-only dict for every equal ``values`` (of strings and integers) the caches hold.

    The labels of an assertion's CronJob, Jobs and report, and the annotations of its
    Jobs, are equal; so are the status of most finished Jobs (``{"succeeded": 1}``) and
    the summary of most reports: one :class:`FrozenDict` instead of a dict each (184
    bytes). A dict holding anything else (lists, dicts; booleans too: ``True == 1``, and
    ``{"a": True}`` must not be answered with ``{"a": 1}``) is returned as it is.
    """
    if not values or not all(type(v) in (str, int) for v in values.values()):
        return values
    return _SHARED.get(values)


def trimmed_metadata(
    obj: Obj,
    prefixes: tuple[str, ...] | None = None,
    *,
    fields: tuple[str, ...] = KEPT_METADATA,
    owners: tuple[str, ...] | None = None,
) -> Obj:
    """``obj``'s metadata without managedFields, finalizers and kubectl's last-applied copy.

    With ``prefixes``, only the labels and annotations whose keys start with one of them
    are kept (e.g. ``netchecks.io/``: the only ones a controller reads of its children; a
    whole key keeps that key). ``fields``: the metadata fields kept (of
    :data:`KEPT_METADATA`). With ``owners``, only the owner references to those kinds are
    kept, each as its :data:`OWNER_FIELDS`.
    """
    meta = obj.get("metadata") or {}
    kept = {key: meta[key] for key in fields if key in meta}
    for field in ("labels", "annotations"):
        values = kept.get(field)
        if isinstance(values, dict):
            kept[field] = {
                k: v
                for k, v in values.items()
                if k != LAST_APPLIED and (prefixes is None or k.startswith(prefixes))
            }
    refs = kept.get("ownerReferences")
    if owners is not None and isinstance(refs, list):
        kept["ownerReferences"] = [
            {k: ref[k] for k in OWNER_FIELDS if k in ref}
            for ref in refs
            if isinstance(ref, dict) and ref.get("kind") in owners
        ]
        if not kept["ownerReferences"]:
            del kept["ownerReferences"]
    return kept


def drop_managed_fields(obj: Obj) -> Obj:
    """The default transform: ``obj`` without ``metadata.managedFields`` (large, never read)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def keep(
    *fields: str,
    status: Iterable[str] = (),
    prefixes: tuple[str, ...] | None = None,
    metadata: tuple[str, ...] = KEPT_METADATA,
    owners: tuple[str, ...] | None = None,
    unique: tuple[str, ...] = UNIQUE_METADATA,
    share: tuple[str, ...] = (),
) -> Transform:
    """A transform keeping trimmed metadata, the top-level ``fields`` and the ``status`` keys.

    ``prefixes``, ``metadata`` and ``owners``: which labels and annotations, metadata fields
    and owner references are kept (see :func:`trimmed_metadata`); ``unique``: the metadata
    fields whose values are not shared (see :func:`compact`); ``share``: the metadata
    fields (``labels``, ``annotations``) kept as read-only dicts shared with every equal
    one (see :func:`shared`): only where several cached objects hold equal ones.
    """
    status_keys = tuple(status)

    def transform(obj: Obj) -> Obj:
        kept: Obj = {k: compact(obj[k]) for k in ("apiVersion", "kind", *fields) if k in obj}
        meta = trimmed_metadata(obj, prefixes, fields=metadata, owners=owners)
        kept["metadata"] = meta = compact(meta, unique=unique)
        for name in share:
            if isinstance(meta.get(name), dict):
                meta[name] = shared(meta[name])
        source = obj.get("status")
        if status_keys and isinstance(source, dict):
            kept["status"] = compact({k: source[k] for k in status_keys if k in source})
        return kept

    return transform


def _without(obj: Obj, *top_level: str) -> Obj:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return {**{k: v for k, v in obj.items() if k not in top_level}, "metadata": meta}


def changed(cached: Obj, incoming: Obj) -> bool:
    """Whether ``incoming`` differs from ``cached`` in more than its resourceVersion."""
    return _without(cached) != _without(incoming)


def changed_except_status(cached: Obj, incoming: Obj) -> bool:
    """Whether anything but ``status`` and the resourceVersion changed (spec, metadata).

    For an object whose status this process writes: status updates never wake it.
    """
    return _without(cached, "status") != _without(incoming, "status")
