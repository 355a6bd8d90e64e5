"""Events on assertions, de-duplicated: the same reason and message is recorded once an hour."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from netchecks_core.assertion import API_VERSION, KIND
from netchecks_core.events import event_body as core_event_body

from netchecks_operator.plan_model import EventNote

log = logging.getLogger(__name__)

COMPONENT = "netchecks-operator"


def event_body(assertion: dict[str, Any], note: EventNote, instance: str) -> dict[str, Any]:
    """A core/v1 Event about ``assertion``."""
    regarding = {**assertion, "apiVersion": API_VERSION, "kind": KIND}
    return core_event_body(
        regarding,
        event_type=note.type,
        reason=note.reason,
        message=note.message,
        component=COMPONENT,
        instance=instance,
    )


class EventRecorder:
    """Records each distinct (object, reason, message) at most once per ``window`` seconds."""

    def __init__(
        self,
        send: Callable[[dict[str, Any], str], None],
        instance: str,
        window: float = 3600.0,
        capacity: int = 20_000,
    ) -> None:
        self.send = send
        self.instance = instance
        self.window = window
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, assertion: dict[str, Any], note: EventNote) -> bool:
        """Record unless recorded recently; returns whether an Event was sent."""
        key = (assertion["metadata"]["uid"], note.reason, note.message)
        now = time.monotonic()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < self.window:
                return False
            self._seen[key] = now
            self._seen.move_to_end(key)
            # Oldest first: past the window an entry suppresses nothing (and an operator
            # of 10,000 assertions would otherwise hold one per Event ever recorded).
            while self._seen and (
                len(self._seen) > self.capacity
                or now - next(iter(self._seen.values())) >= self.window
            ):
                self._seen.popitem(last=False)
        self.send(event_body(assertion, note, self.instance), assertion["metadata"]["namespace"])
        return True
