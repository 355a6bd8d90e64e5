"""Keeping the probe's memory near what it really holds (a Pod's limit counts resident pages).

glibc raises its mmap threshold each time a large block is freed, after which large
blocks (response bodies of a megabyte) come from per-thread heaps that are seldom
given back: with 32 rule threads the process keeps far more than it uses. A fixed
threshold keeps large blocks mapped on their own, returned to the system when freed.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

#: glibc's ``mallopt`` parameter number of the mmap threshold.
_M_MMAP_THRESHOLD = -3
#: Blocks this big or bigger get their own mapping (glibc's default starts at 128 KiB).
MMAP_THRESHOLD_BYTES = 256 * 1024

_done = False


def return_large_blocks() -> None:
    """Fix the allocator's mmap threshold (once; a no-op where libc is not glibc)."""
    global _done  # once per process
    if _done:
        return
    _done = True
    try:
        # The interpreter's own symbols include its C library's: no library search
        # (``ctypes.util.find_library`` runs ``ldconfig -p`` in a child process).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to tune
        return
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        log.debug("mallopt(M_MMAP_THRESHOLD) was refused")
