"""How often a schedule runs: the longest wait between two of its runs.

Alerts call a scheduled assertion late when its newest run is older than this
(plus a grace), so a weekday schedule is not late on a Sunday and a one-shot
assertion (no schedule) is never late.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from croniter import croniter

#: A fixed start (a Monday): the answer never depends on when it is asked.
_START = datetime(2025, 1, 6, tzinfo=UTC)
#: Runs looked at, at most: enough to see a weekend in a working-hours, every-minute
#: schedule (540 runs a day).
_MAX_RUNS = 10_000
#: A year and a day covers every calendar pattern but 29 February (one run, then years).
_SPAN = 367 * 86_400.0
_EVERY = re.compile(r"^@every\s+(\S+)$")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def go_duration(text: str) -> float | None:
    """Seconds of a Go duration (``1h30m``), None when it is not one."""
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    return seconds if seconds > 0 else None


@functools.lru_cache(maxsize=512)
def expected_interval(schedule: str) -> float | None:
    """The longest time in seconds between two consecutive runs (None: not a schedule)."""
    text = schedule.strip()
    if every := _EVERY.match(text):
        return go_duration(every.group(1))
    try:
        runs = croniter(text, _START)
        first = previous = runs.get_next(float)
        longest = 0.0
        for _ in range(_MAX_RUNS):
            current = runs.get_next(float)
            longest = max(longest, current - previous)
            previous = current
            if current - first > _SPAN:
                break
    except (ValueError, KeyError):  # croniter's errors are ValueErrors
        return None
    return longest or None
