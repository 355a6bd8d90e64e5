"""A de-duplicating, rate-limited work queue of object keys (client-go's workqueue semantics).

- A key added several times before a worker takes it is processed once.
- A key being processed is never handed to a second worker; if it is added
  meanwhile, it is queued again when the worker calls :meth:`WorkQueue.done`.
- :meth:`WorkQueue.add_rate_limited` re-adds a key after an exponential back-off
  that grows with its failures; :meth:`WorkQueue.forget` resets that count.
- :meth:`WorkQueue.add_after` re-adds a key later (the earliest wins).

Typical worker loop::

    while (key := queue.get()) is not None:
        try:
            reconcile(key)
            queue.forget(key)
        except Exception:
            queue.add_rate_limited(key)
        finally:
            queue.done(key)
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class WorkQueue(Generic[K]):
    """Thread-safe queue of keys with de-duplication, delayed adds and per-key back-off."""

    def __init__(self, base_delay: float = 0.05, max_delay: float = 300.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._failures: dict[K, int] = {}
        self._waiting: list[tuple[float, int, K]] = []  # heap of (due, seq, key)
        self._due: dict[K, float] = {}
        self._seq = 0
        self._shutdown = False
        self._cond = threading.Condition()

    def add(self, key: K) -> None:
        """Queue a key now (no-op if already queued)."""
        with self._cond:
            self._add_locked(key)

    def _add_locked(self, key: K) -> None:
        if self._shutdown or key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._cond.notify()

    def add_after(self, key: K, delay: float) -> None:
        """Queue a key after ``delay`` seconds (an earlier pending time for it wins)."""
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutdown:
                return
            due = time.monotonic() + delay
            if key in self._due and self._due[key] <= due:
                return
            self._due[key] = due
            self._seq += 1
            heapq.heappush(self._waiting, (due, self._seq, key))
            self._cond.notify()

    def add_rate_limited(self, key: K, at_least: float = 0.0) -> float:
        """Queue a key after its back-off (doubling per failure); returns the delay used."""
        with self._cond:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        delay = max(at_least, min(self.max_delay, self.base_delay * 2.0**failures))
        self.add_after(key, delay)
        return delay

    def forget(self, key: K) -> None:
        """Reset a key's failure count (after it was processed successfully)."""
        with self._cond:
            self._failures.pop(key, None)

    def failures(self, key: K) -> int:
        """How many times in a row the key was re-added with back-off."""
        with self._cond:
            return self._failures.get(key, 0)

    def get(self, timeout: float | None = None) -> K | None:
        """The next key to process (blocks); None after :meth:`shutdown` or on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                self._move_due_locked()
                if self._shutdown:
                    return None
                if self._queue:
                    key = self._queue.popleft()
                    self._processing.add(key)
                    self._dirty.discard(key)
                    return key
                wait = self._waiting[0][0] - time.monotonic() if self._waiting else None
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def _move_due_locked(self) -> None:
        now = time.monotonic()
        while self._waiting and self._waiting[0][0] <= now:
            due, _, key = heapq.heappop(self._waiting)
            if self._due.get(key) == due:
                del self._due[key]
                self._add_locked(key)

    def done(self, key: K) -> None:
        """Mark a key processed; it is queued again if it was added meanwhile."""
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def shutdown(self) -> None:
        """Wake every waiting worker with None; later adds are ignored."""
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def __len__(self) -> int:
        """Keys waiting now (not those processing or delayed): the queue depth."""
        with self._cond:
            return len(self._queue)

    def pending(self) -> int:
        """Keys waiting now or later (delayed), for metrics."""
        with self._cond:
            return len(self._queue) + len(self._due)
