"""An injectable clock: real time plus an offset that tests can move forward."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time that keeps flowing but can jump ahead (or be set) on demand."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        """The simulated current time, timezone-aware UTC."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward; controllers that schedule by time re-evaluate at once."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        self._notify()

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (it keeps flowing from there)."""
        with self._lock:
            self._offset = when - datetime.now(UTC)
        self._notify()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Register a callback for jumps."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()


def format_time(when: datetime) -> str:
    """metav1.Time: RFC 3339, UTC, second precision."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(when: datetime) -> str:
    """metav1.MicroTime: RFC 3339 with microseconds, UTC."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; a value without a zone raises ValueError."""
    text = value.replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"parsing time {value!r}: missing time zone")
    return parsed.astimezone(UTC)
