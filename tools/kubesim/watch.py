"""Watchers: per-request event queues with the API server's selector semantics."""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from typing import Any

from .selectors import Requirement, fields_match, labels_match
from .storage import Event, Key

Obj = dict[str, Any]

#: Placed on a watcher's queue to end its stream.
CLOSE: tuple[str, Obj] = ("CLOSE", {})


@dataclass(eq=False)
class Watcher:
    """Receives committed events for one watch request, filtered and typed."""

    key: Key
    namespace: str | None
    labels: list[Requirement] = field(default_factory=list)
    fields: list[tuple[str, bool, str]] = field(default_factory=list)
    name: str | None = None
    events: queue.SimpleQueue[tuple[str, Obj]] = field(default_factory=queue.SimpleQueue)
    closed: bool = False

    def matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        m = obj["metadata"]
        if self.namespace is not None and m.get("namespace", "") != self.namespace:
            return False
        if self.name is not None and m["name"] != self.name:
            return False
        return labels_match(self.labels, obj) and fields_match(self.fields, obj)

    def offer(self, event: Event) -> None:
        """Translate a committed event into what this watcher sees (if anything)."""
        if event.key != self.key or self.closed:
            return
        if event.type == "MODIFIED":
            now, before = self.matches(event.obj), self.matches(event.old)
            if now and before:
                self.events.put(("MODIFIED", event.obj))
            elif now:
                self.events.put(("ADDED", event.obj))
            elif before and event.old is not None:
                old = {**event.old, "metadata": {**event.old["metadata"]}}
                old["metadata"]["resourceVersion"] = str(event.rv)
                self.events.put(("DELETED", old))
        elif self.matches(event.obj):
            self.events.put((event.type, event.obj))

    def close(self) -> None:
        """End the stream (the client sees a clean end and may resume)."""
        self.closed = True
        self.events.put(CLOSE)
