"""The expected interval of a schedule: the longest wait between two of its runs."""

from __future__ import annotations

import pytest
from netchecks_operator.schedule import expected_interval


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ("*/5 * * * *", 300),
        ("@hourly", 3600),
        ("@daily", 86_400),
        ("@every 1h30m", 5400),
        # Friday 17:59 to Monday 09:00: a weekday schedule is not late on a Sunday.
        ("* 9-17 * * 1-5", 63 * 3600 + 60),
        ("0 0 1 * *", 31 * 86_400),
        ("0 0 29 2 *", (3 * 365 + 366) * 86_400),
    ],
)
def test_interval_is_the_longest_wait_between_two_runs(schedule: str, seconds: int) -> None:
    assert expected_interval(schedule) == seconds


@pytest.mark.parametrize("schedule", ["not a schedule", "@every soon", "0 0 30 2 *", "@every 0s"])
def test_what_never_runs_has_no_interval(schedule: str) -> None:
    assert expected_interval(schedule) is None
