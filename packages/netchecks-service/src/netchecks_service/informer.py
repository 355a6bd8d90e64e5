"""Informers: a local cache of one resource kept current by list + watch, with event callbacks.

An :class:`Informer` lists, marks itself synced, then watches from the list's
resourceVersion. A watch that ends is resumed from the last version seen
(bookmarks included); a 410 Gone or any error relists, after a back-off for
errors, and the relist is diffed against the cache so handlers see the
ADDED/MODIFIED/DELETED events they missed. Handlers run on the informer's
thread: keep them quick (typically: put a key on a :class:`WorkQueue`).

Reads of the cache (:meth:`Informer.get`, :meth:`Informer.items`,
:meth:`Informer.indexed`) cost no API request, which is how a controller reconciles
without GETs; a process puts its own writes into the cache (:meth:`Informer.remember`)
so the next reconcile sees them before the watch does. An :class:`InformerGroup` is one
resource over several namespaces.

What is cached and reported is shaped by three options (:mod:`netchecks_service.cachefilters`,
:mod:`netchecks_service.cacheindex`): a ``transform`` keeps only the fields the controller
reads (every object, listed, watched or remembered, goes through it); ``indexers`` file
objects under values such as their owner's UID; ``relevant`` decides whether an update is
worth an event: by default an update that only moves the resourceVersion (the echo of
this process's own write) is not, and neither is the DELETED echo of an object this
process already forgot.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from netchecks_core.resources import Resource

from netchecks_service.cachefilters import Predicate, Transform, changed, drop_managed_fields
from netchecks_service.cacheindex import CacheIndex, IndexFunc
from netchecks_service.errors import GoneError, KubeError, NotFoundError
from netchecks_service.kube import KubeApi

log = logging.getLogger(__name__)

ObjectKey = tuple[str, str]
Handler = Callable[[str, dict[str, Any]], None]


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """``(namespace, name)`` of an object."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _newer(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether ``a`` is a later version than ``b`` (resourceVersions compare as integers)."""
    va = (a.get("metadata") or {}).get("resourceVersion") or ""
    vb = (b.get("metadata") or {}).get("resourceVersion") or ""
    if va.isdigit() and vb.isdigit():
        return int(va) > int(vb)
    return False


def _by_key(store: dict[str, dict[str, dict[str, Any]]]) -> dict[ObjectKey, dict[str, Any]]:
    return {(ns, name): obj for ns, objects in store.items() for name, obj in objects.items()}


class Informer:
    """Cache of one resource (in one namespace, or all) with watch-driven event callbacks."""

    def __init__(
        self,
        api: KubeApi,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        handler: Handler | None = None,
        watch_timeout: int = 300,
        stop: threading.Event | None = None,
        max_backoff: float = 30.0,
        optional: bool = False,
        transform: Transform = drop_managed_fields,
        indexers: Mapping[str, IndexFunc] | None = None,
        relevant: Predicate = changed,
        page_size: int = 500,
    ) -> None:
        self.api = api
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.handlers: list[Handler] = [handler] if handler else []
        self.watch_timeout = watch_timeout
        self.stop = stop or threading.Event()
        self.max_backoff = max_backoff
        #: The resource may not be served (its CRD not installed yet): then the
        #: informer counts as synced and empty, and keeps trying.
        self.optional = optional
        self.transform = transform
        self.relevant = relevant
        #: Objects per page of a list (``limit``; the API server pages with ``continue``).
        self.page_size = page_size
        self._index = CacheIndex(indexers)
        self.synced = threading.Event()
        #: namespace -> name -> object: one namespace's objects are read without a scan.
        self._store: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._version: str | None = None
        #: Lists done since start (1 + relists): watched by tests and benchmarks.
        self.list_count = 0

    def __repr__(self) -> str:
        where = self.namespace or "all namespaces"
        return f"Informer({self.resource.plural}, {where}, {self.label_selector or ''})"

    # -- cache -----------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached object, or None."""
        with self._lock:
            return self._store.get(namespace, {}).get(name)

    def items(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """A snapshot of every cached object (of one namespace when given)."""
        with self._lock:
            if namespace is not None:
                return list(self._store.get(namespace, {}).values())
            return [obj for objects in self._store.values() for obj in objects.values()]

    def indexed(self, index: str, value: str) -> list[dict[str, Any]]:
        """The cached objects filed under ``value`` in ``index`` (one of :attr:`indexers`)."""
        with self._lock:
            found = (
                self._store.get(ns, {}).get(name) for ns, name in self._index.keys(index, value)
            )
            return [obj for obj in found if obj is not None]

    def __len__(self) -> int:
        with self._lock:
            return sum(len(objects) for objects in self._store.values())

    def _put(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Store ``obj`` unless the cache holds a newer version (hold :attr:`_lock`).

        Returns the version cached before (None: there was none).
        """
        namespace, name = object_key(obj)
        objects = self._store.setdefault(namespace, {})
        current = objects.get(name)
        if current is None or not _newer(current, obj):
            objects[name] = obj
            self._index.update((namespace, name), current, obj)
        return current

    def _pop(self, namespace: str, name: str) -> dict[str, Any] | None:
        """Drop an object (hold :attr:`_lock`); returns the version that was cached."""
        objects = self._store.get(namespace)
        if objects is None:
            return None
        current = objects.pop(name, None)
        if current is not None:
            self._index.update((namespace, name), current, None)
        if not objects:
            del self._store[namespace]
        return current

    def remember(self, obj: dict[str, Any]) -> None:
        """Put an object this process just wrote into the cache (write-through).

        Without it, a reconcile that runs before the watch event arrives would
        not see its own write. An older version never replaces a newer one.
        """
        obj = self.transform(obj)
        with self._lock:
            self._put(obj)

    def forget(self, namespace: str, name: str) -> None:
        """Drop an object this process just deleted from the cache."""
        with self._lock:
            self._pop(namespace, name)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Run in a daemon thread; returns it."""
        self._thread = threading.Thread(target=self.run, name=repr(self), daemon=True)
        self._thread.start()
        return self._thread

    def run(self) -> None:
        """List and watch until :attr:`stop` is set."""
        failures = 0
        while not self.stop.is_set():
            try:
                if self._version is None:
                    self._relist()
                self._watch_once()
                failures = 0
            except GoneError:
                log.info("%s: resourceVersion expired, listing again", self)
                self._version = None
            except NotFoundError as error:
                if not self.optional:
                    failures += 1
                    self._back_off(error, failures)
                    continue
                if not self.synced.is_set():
                    log.info("%s: not served (%s); treated as empty until it is", self, error)
                self.synced.set()
                self._version = None
                self.stop.wait(self.max_backoff)
            except KubeError as error:
                failures += 1
                self._back_off(error, failures)

    def _back_off(self, error: KubeError, failures: int) -> None:
        delay = min(self.max_backoff, 0.2 * 2 ** min(failures, 8))
        delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto
        log.warning("%s: %s; retrying in %.1fs", self, error, delay)
        self._version = None
        self.stop.wait(delay)

    def _emit(self, kind: str, obj: dict[str, Any]) -> None:
        for handler in self.handlers:
            try:
                handler(kind, obj)
            except Exception:
                log.exception("%s: event handler failed", self)

    def _relist(self) -> None:
        # Page by page: only one page of full objects is held at a time, the transformed
        # ones stay (a list of thousands of Jobs would otherwise peak at all of them).
        pages = self.api.list_pages(
            self.resource,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            limit=self.page_size,
        )
        version: str | None = None
        fresh: dict[str, dict[str, dict[str, Any]]] = {}
        for page in pages:
            version = version or (page.get("metadata") or {}).get("resourceVersion") or None
            for item in page.get("items") or []:
                item.setdefault("kind", self.resource.kind)
                item.setdefault("apiVersion", self.resource.api_version)
                obj = self.transform(item)
                namespace, name = object_key(obj)
                fresh.setdefault(namespace, {})[name] = obj
        self.list_count += 1
        with self._lock:
            old, self._store = self._store, fresh
            self._index.rebuild(_by_key(fresh))
        self._emit_changes(_by_key(old), _by_key(fresh))
        self._version = version
        self.synced.set()

    def _emit_changes(
        self, old: dict[ObjectKey, dict[str, Any]], fresh: dict[ObjectKey, dict[str, Any]]
    ) -> None:
        """The events that turn ``old`` into ``fresh`` (after a list)."""
        for key, obj in fresh.items():
            previous = old.get(key)
            if previous is None:
                self._emit("ADDED", obj)
            elif previous["metadata"].get("resourceVersion") != obj["metadata"].get(
                "resourceVersion"
            ) and self.relevant(previous, obj):
                self._emit("MODIFIED", obj)
        for key, obj in old.items():
            if key not in fresh:
                self._emit("DELETED", obj)

    def _watch_once(self) -> None:
        timeout = int(self.watch_timeout * random.uniform(0.9, 1.1))  # noqa: S311
        events = self.api.watch(
            self.resource,
            self.namespace,
            resource_version=self._version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            timeout_seconds=max(1, timeout),
        )
        for event in events:
            if self.stop.is_set():
                return
            kind = event.get("type")
            obj = event.get("object") or {}
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version:
                self._version = version
            if kind == "BOOKMARK":
                continue
            if kind not in {"ADDED", "MODIFIED", "DELETED"}:
                continue
            obj = self.transform(obj)
            with self._lock:
                deleted = kind == "DELETED"
                previous = self._pop(*object_key(obj)) if deleted else self._put(obj)
            if self._worth_an_event(str(kind), previous, obj):
                self._emit(str(kind), obj)

    def _worth_an_event(
        self, kind: str, previous: dict[str, Any] | None, obj: dict[str, Any]
    ) -> bool:
        """Whether handlers hear of a watch event, given what the cache held before it."""
        if kind == "DELETED":
            return previous is not None  # else this process deleted and forgot it already
        return previous is None or self.relevant(previous, obj)


class InformerGroup:
    """One resource cached in each watched namespace (or in all): one cache to read and write.

    A service watching a list of namespaces runs one :class:`Informer` per namespace (a
    namespaced Role grants no cluster-wide watch); the group reads, writes through and
    routes handlers as if it were one informer.
    """

    def __init__(
        self,
        api: KubeApi,
        resource: Resource,
        namespaces: Sequence[str | None],
        *,
        stop: threading.Event,
        **options: Any,
    ) -> None:
        self.resource = resource
        self.informers = [
            Informer(api, resource, namespace=ns, stop=stop, **options)
            for ns in (list(namespaces) or [None])
        ]

    def __repr__(self) -> str:
        return f"InformerGroup({self.resource.plural}, {len(self.informers)} namespaces)"

    def informer(self, namespace: str) -> Informer | None:
        """The informer that watches ``namespace`` (None: it is not watched)."""
        return next((i for i in self.informers if i.namespace in (None, namespace)), None)

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached object, or None."""
        informer = self.informer(namespace)
        return informer.get(namespace, name) if informer is not None else None

    def indexed(self, index: str, value: str) -> list[dict[str, Any]]:
        """The cached objects of every namespace filed under ``value`` in ``index``."""
        return [obj for informer in self.informers for obj in informer.indexed(index, value)]

    def items(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every cached object (of one namespace when given)."""
        if namespace is None:
            return [obj for informer in self.informers for obj in informer.items()]
        informer = self.informer(namespace)
        return informer.items(namespace) if informer is not None else []

    def remember(self, obj: dict[str, Any]) -> None:
        """Write-through: put an object this process just wrote into the cache."""
        informer = self.informer(object_key(obj)[0])
        if informer is not None:
            informer.remember(obj)

    def forget(self, namespace: str, name: str) -> None:
        """Drop an object this process just deleted from the cache."""
        informer = self.informer(namespace)
        if informer is not None:
            informer.forget(namespace, name)

    def add_handler(self, handler: Handler) -> None:
        """Call ``handler(event_type, obj)`` for every event of every namespace."""
        for informer in self.informers:
            informer.handlers.append(handler)

    def start(self) -> None:
        """Start every informer (daemon threads)."""
        for informer in self.informers:
            informer.start()

    def synced(self) -> bool:
        """Whether every informer has listed once."""
        return all(informer.synced.is_set() for informer in self.informers)
