"""The work queue: de-duplication, processing exclusivity, delays and back-off."""

from __future__ import annotations

import threading
import time

from netchecks_service.workqueue import WorkQueue


def test_a_key_added_twice_before_processing_is_processed_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("a")
    queue.add("b")
    assert [queue.get(0.1), queue.get(0.1), queue.get(0.01)] == ["a", "b", None]


def test_a_key_added_while_processing_comes_back_after_done_only() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert queue.get(0.1) == "a"
    queue.add("a")
    assert queue.get(0.01) is None  # never handed to a second worker at the same time
    queue.done("a")
    assert queue.get(0.1) == "a"


def test_add_after_delays_and_the_earliest_time_wins() -> None:
    queue: WorkQueue[str] = WorkQueue()
    start = time.monotonic()
    queue.add_after("a", 5.0)
    queue.add_after("a", 0.05)
    assert queue.get(2.0) == "a"
    assert time.monotonic() - start < 1.0
    queue.done("a")
    assert queue.get(0.1) is None  # the later time was superseded, not queued again


def test_rate_limited_adds_back_off_exponentially_until_forgotten() -> None:
    queue: WorkQueue[str] = WorkQueue(base_delay=0.01, max_delay=0.04)
    delays = [queue.add_rate_limited("a") for _ in range(4)]
    assert delays == [0.01, 0.02, 0.04, 0.04]
    assert queue.failures("a") == 4
    queue.forget("a")
    assert queue.failures("a") == 0
    assert queue.add_rate_limited("a", at_least=0.03) == 0.03


def test_shutdown_wakes_blocked_workers() -> None:
    queue: WorkQueue[str] = WorkQueue()
    got: list[str | None] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    time.sleep(0.05)
    queue.shutdown()
    worker.join(timeout=2)
    assert got == [None]
    queue.add("late")
    assert queue.get(0.01) is None


def test_depth_counts_waiting_keys_and_pending_counts_delayed_ones() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add_after("b", 10)
    assert len(queue) == 1
    assert queue.pending() == 2
