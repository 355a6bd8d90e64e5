"""Hard time bounds for library calls whose own timeouts are per operation, not total.

A resolver backs off between retries, an HTTP client's read timeout applies to
each read of a slowly dripping body, and name resolution inside ``connect`` has no
timeout at all. :func:`call_within` runs such a call in a daemon thread and stops
waiting at the bound; the abandoned call ends on its own per-operation timeouts.

The threads are reused: starting one per call cost more CPU (about 0.3 ms, with the
hand-over of the interpreter lock) than a loopback HTTP exchange itself. A thread
still busy with an abandoned call is simply not idle: another one takes the next call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from netchecks_probe.checks.base import Deadline

T = TypeVar("T")

#: Extra time given to a library after its own timeout, so its precise error wins the race.
GRACE = 0.05
#: How long an idle call thread waits for work before it ends.
IDLE_SECONDS = 10.0


class _CallThreads:
    """Daemon threads that run calls handed to them, started only when none is idle."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        #: Threads waiting for work that no caller has counted on yet.
        self._idle = 0
        self._lock = threading.Lock()

    def run(self, work: Callable[[], None]) -> None:
        """Run ``work`` in an idle thread, or in a new one."""
        with self._lock:
            spare = self._idle > 0
            if spare:
                self._idle -= 1
        if spare:
            self._work.put(work)
        else:
            threading.Thread(
                target=self._serve, args=(work,), name="netchecks-check", daemon=True
            ).start()

    def _serve(self, work: Callable[[], None]) -> None:
        while True:
            work()  # never raises: see call_within
            with self._lock:
                self._idle += 1
            next_work = self._next()
            if next_work is None:
                return
            work = next_work

    def _next(self) -> Callable[[], None] | None:
        while True:
            try:
                return self._work.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # nobody counts on this thread: end it
                        self._idle -= 1
                        return None
                # A caller counted on an idle thread; its work is on the way.


_THREADS = _CallThreads()


@dataclass
class Outcome(Generic[T]):
    """What a call handed to a thread (:func:`start`) gave, once ``done`` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


def start(func: Callable[[], T]) -> Outcome[T]:
    """Run ``func`` in a call thread; its result (or exception) arrives in the outcome."""
    outcome: Outcome[T] = Outcome()

    def work() -> None:
        try:
            outcome.value = func()
        except BaseException as exc:  # noqa: BLE001 -- handed over to the waiting thread
            outcome.error = exc
        finally:
            outcome.done.set()

    _THREADS.run(work)
    return outcome


def call_within(func: Callable[[], T], seconds: float, deadline: Deadline) -> tuple[bool, T | None]:
    """Run ``func`` for at most ``seconds``, never past ``deadline`` (plus :data:`GRACE`).

    Returns ``(True, result)`` when it finished, ``(False, None)`` when it did not.
    An exception raised by ``func`` is raised here.
    """
    outcome = start(func)
    if not outcome.done.wait(min(seconds, deadline.remaining()) + GRACE):
        return False, None
    if outcome.error is not None:
        raise outcome.error
    return True, outcome.value
