"""Bounded calls: cut at their bound, on call threads that are reused, never blocked."""

from __future__ import annotations

import threading

import pytest
from netchecks_probe.checks.base import Deadline
from netchecks_probe.checks.bounded import call_within


def test_a_call_gives_its_result_and_raises_its_exception() -> None:
    assert call_within(lambda: 42, 5, Deadline.after(5)) == (True, 42)

    def broken() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        call_within(broken, 5, Deadline.after(5))


def test_calls_in_a_row_reuse_one_thread() -> None:
    # The set holds the Thread objects themselves: distinct threads stay distinct.
    threads = {call_within(threading.current_thread, 5, Deadline.after(5))[1] for _ in range(50)}

    assert len(threads) == 1
    assert threading.current_thread() not in threads  # not the caller's own


def test_an_abandoned_call_is_cut_at_its_bound_and_blocks_no_later_call() -> None:
    release = threading.Event()
    finished, value = call_within(lambda: release.wait(10), 0.05, Deadline.after(5))

    assert (finished, value) == (False, None)
    # The abandoned call still holds its thread; the next call gets another one.
    assert call_within(lambda: "next", 5, Deadline.after(5)) == (True, "next")
    release.set()


def test_the_run_deadline_cuts_a_call_before_its_own_bound() -> None:
    release = threading.Event()
    deadline = Deadline.after(0.05)

    assert call_within(lambda: release.wait(10), 30, deadline) == (False, None)
    release.set()
