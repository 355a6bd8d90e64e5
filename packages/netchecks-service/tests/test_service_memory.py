"""The services hand memory they freed back to the system (glibc's heaps)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from netchecks_service.memory import _libc, trim_heap, trim_periodically

pytestmark = pytest.mark.skipif(_libc() is None, reason="not glibc: nothing is tuned")


def _rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_trimming_returns_the_free_pages_inside_the_heap() -> None:
    # 1 KiB blocks come from malloc; keeping every 64th leaves the freed ones scattered
    # inside the heap, where glibc does not return them by itself.
    blocks = [bytes(1024) for _ in range(150_000)]
    kept = blocks[::64]
    del blocks
    before = _rss_bytes()

    assert trim_heap() is True
    after = _rss_bytes()

    assert before - after > 60 * 1024 * 1024
    assert len(kept) == 2344  # still alive while measured


def test_periodic_trimming_runs_in_a_thread_that_ends_with_the_service() -> None:
    stop = threading.Event()
    trim_periodically(stop, seconds=0.01)
    [thread] = [t for t in threading.enumerate() if t.name == "malloc-trim"]

    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
