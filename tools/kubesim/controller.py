"""A minimal controller runtime: a work queue with delays, fed by store events."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from .clock import format_time
from .errors import ApiError
from .storage import Event

if TYPE_CHECKING:
    from .api import Api

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class Controller:
    """Level-triggered reconciler: ``reconcile(key)`` may return a requeue delay."""

    name = "controller"

    def __init__(self, api: Api) -> None:
        self.api = api
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Hashable]] = []
        self._counter = itertools.count()
        self._stopping = False
        self._paused = False
        self._thread: threading.Thread | None = None

    # -- queue -----------------------------------------------------------------------

    def enqueue(self, key: Hashable, delay: float = 0.0) -> None:
        with self._cond:
            heapq.heappush(
                self._due, (time.monotonic() + max(0.0, delay), next(self._counter), key)
            )
            self._cond.notify()

    def on_event(self, event: Event) -> None:
        """Map a committed event to keys to enqueue (called under the store lock)."""

    def reconcile(self, key: Any) -> float | None:
        raise NotImplementedError

    def resync(self) -> None:
        """Enqueue everything (e.g. after the clock jumped)."""

    # -- loop ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"kubesim-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def pause(self) -> None:
        """Controller downtime: keep queueing work but process none of it."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def _next_batch(self) -> list[Hashable] | None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._paused:
                    self._cond.wait()
                    continue
                if self._due and self._due[0][0] <= now:
                    keys: list[Hashable] = []
                    while self._due and self._due[0][0] <= now:
                        key = heapq.heappop(self._due)[2]
                        if key not in keys:
                            keys.append(key)
                    return keys
                timeout = (self._due[0][0] - now) if self._due else None
                self._cond.wait(timeout)
            return None

    def _run(self) -> None:
        while True:
            keys = self._next_batch()
            if keys is None:
                return
            for key in keys:
                try:
                    delay = self.reconcile(key)
                except ApiError as exc:
                    log.debug("%s: %s on %s, retrying", self.name, exc.message, key)
                    delay = 0.05
                except Exception:
                    log.exception("%s: reconcile of %s failed", self.name, key)
                    delay = 0.5
                if delay is not None:
                    self.enqueue(key, delay)

    # -- helpers ---------------------------------------------------------------------

    def record_event(
        self, obj: Obj, kind: str, api_version: str, event_type: str, reason: str, message: str
    ) -> None:
        """Create a core/v1 Event about ``obj`` as a controller would."""
        record_event(self.api, obj, kind, api_version, event_type, reason, message, self.name)


def record_event(
    api: Api,
    obj: Obj,
    kind: str,
    api_version: str,
    event_type: str,
    reason: str,
    message: str,
    component: str,
) -> None:
    m = obj["metadata"]
    now = api.clock.now()
    namespace = m.get("namespace") or "default"
    rt = api.resource("", "v1", "events")
    body = {
        "metadata": {"name": f"{m['name']}.{int(now.timestamp() * 1e9):x}", "namespace": namespace},
        "involvedObject": {
            "kind": kind,
            "namespace": m.get("namespace"),
            "name": m["name"],
            "uid": m.get("uid"),
            "apiVersion": api_version,
            "resourceVersion": m.get("resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "type": event_type,
        "source": {"component": component},
        "firstTimestamp": format_time(now),
        "lastTimestamp": format_time(now),
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": f"{component}-kubesim",
        "eventTime": None,
    }
    try:
        api.create(rt, namespace, body)
    except ApiError as exc:
        log.debug("event %s for %s not recorded: %s", reason, m["name"], exc.message)


def owner_controller(obj: Obj, kind: str) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            return dict(ref)
    return None


def controller_ref(owner: Obj, kind: str, api_version: str) -> Obj:
    m = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": m["name"],
        "uid": m["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
