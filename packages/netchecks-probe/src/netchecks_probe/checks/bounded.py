"""Hard time bounds for library calls whose own timeouts are per operation, not total.

A resolver backs off between retries, an HTTP client's read timeout applies to
each read of a slowly dripping body, and name resolution inside ``connect`` has no
timeout at all. :func:`call_within` runs such a call in a daemon thread and stops
waiting at the bound; the abandoned call ends on its own per-operation timeouts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from netchecks_probe.checks.base import Deadline

T = TypeVar("T")

#: Extra time given to a library after its own timeout, so its precise error wins the race.
GRACE = 0.05


@dataclass
class _Outcome(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


def call_within(func: Callable[[], T], seconds: float, deadline: Deadline) -> tuple[bool, T | None]:
    """Run ``func`` for at most ``seconds``, never past ``deadline`` (plus :data:`GRACE`).

    Returns ``(True, result)`` when it finished, ``(False, None)`` when it did not.
    An exception raised by ``func`` is raised here.
    """
    outcome: _Outcome[T] = _Outcome()

    def target() -> None:
        try:
            outcome.value = func()
        except BaseException as exc:  # noqa: BLE001 -- handed over to the waiting thread
            outcome.error = exc
        finally:
            outcome.done.set()

    worker = threading.Thread(target=target, name="netchecks-check", daemon=True)
    worker.start()
    if not outcome.done.wait(min(seconds, deadline.remaining()) + GRACE):
        return False, None
    if outcome.error is not None:
        raise outcome.error
    return True, outcome.value
