"""Waiting for a condition, the one way tests, bench, demo and kubesim's suite do it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 30.0,
    what: str = "condition",
    *,
    interval: float = 0.05,
    ignoring: tuple[type[Exception], ...] = (),
    check: Callable[[], None] | None = None,
    error: Callable[[str], Exception] = AssertionError,
) -> T:
    """Poll ``predicate`` until it returns something truthy; raise ``error`` after ``timeout``.

    ``ignoring``: exceptions of ``predicate`` that mean "not yet"; ``check`` runs before each
    poll and may raise (e.g. when a child process died).
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if check is not None:
            check()
        try:
            value = predicate()
        except ignoring as caught:
            last = caught
        else:
            if value:
                return value
            last = value
        time.sleep(interval)
    raise error(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")
