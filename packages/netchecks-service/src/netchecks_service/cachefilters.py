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

import sys
from collections.abc import Callable, Iterable
from typing import Any

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
#: ``kubectl apply`` copies the whole object into this annotation: nothing here reads it.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: Strings up to this length are shared between cached objects (see :func:`compact`).
SHARED_STRING_MAX = 64


def compact(value: Any) -> Any:
    """``value`` rebuilt with its keys and short strings shared (``sys.intern``).

    Each decoded JSON document has its own copy of every key and value: thousands of
    cached objects repeat the same label keys, namespaces, kinds and owner UIDs. Sharing
    them roughly halves what a trimmed object costs.
    """
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(item) for item in value]
    if isinstance(value, str) and len(value) <= SHARED_STRING_MAX:
        return sys.intern(value)
    return value


def trimmed_metadata(obj: Obj, prefixes: tuple[str, ...] | None = None) -> Obj:
    """``obj``'s metadata without managedFields, finalizers and kubectl's last-applied copy.

    With ``prefixes``, only the labels and annotations whose keys start with one of them
    are kept (e.g. ``netchecks.io/``: the only ones a controller reads of its children).
    """
    meta = obj.get("metadata") or {}
    kept = {key: meta[key] for key in KEPT_METADATA if key in meta}
    for field in ("labels", "annotations"):
        values = kept.get(field)
        if isinstance(values, dict):
            kept[field] = {
                k: v
                for k, v in values.items()
                if k != LAST_APPLIED and (prefixes is None or k.startswith(prefixes))
            }
    return kept


def drop_managed_fields(obj: Obj) -> Obj:
    """The default transform: ``obj`` without ``metadata.managedFields`` (large, never read)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def keep(
    *fields: str, status: Iterable[str] = (), prefixes: tuple[str, ...] | None = None
) -> Transform:
    """A transform keeping trimmed metadata, the top-level ``fields`` and the ``status`` keys.

    ``prefixes``: keep only the labels and annotations of those prefixes (see
    :func:`trimmed_metadata`).
    """
    status_keys = tuple(status)

    def transform(obj: Obj) -> Obj:
        kept: Obj = {k: obj[k] for k in ("apiVersion", "kind", *fields) if k in obj}
        kept["metadata"] = trimmed_metadata(obj, prefixes)
        source = obj.get("status")
        if status_keys and isinstance(source, dict):
            kept["status"] = {k: source[k] for k in status_keys if k in source}
        return dict(compact(kept))

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
