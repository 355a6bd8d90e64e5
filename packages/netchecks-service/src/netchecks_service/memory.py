"""Keeping a service's resident memory near what it holds (glibc; elsewhere a no-op).

glibc gives each thread that allocates an arena of its own (up to eight per core): the
informer, worker and HTTP threads of a service leave what they freed scattered over
many heaps, and a heap gives back only the free pages at its very end. The
interpreter lock runs one thread at a time anyway, so two arenas cost no speed; and a
periodic ``malloc_trim`` returns the free pages inside every heap to the system (the
memory a burst of runs used and let go of).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

#: glibc's ``mallopt`` parameter number of the arena limit.
_M_ARENA_MAX = -8
ARENAS = 2
#: Seconds between trims (each walks the free lists: about a millisecond per 100 MB).
TRIM_SECONDS = 30.0


@functools.cache
def _libc() -> Any | None:
    try:
        # The interpreter's own symbols include its C library's: no library search.
        libc = ctypes.CDLL(None)
        libc.mallopt, libc.malloc_trim  # noqa: B018 -- glibc has both; musl neither
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas() -> None:
    """Cap glibc's arenas (call before the service starts its threads)."""
    libc = _libc()
    if libc is not None and libc.mallopt(_M_ARENA_MAX, ARENAS) != 1:
        log.debug("mallopt(M_ARENA_MAX) was refused")


def trim_heap() -> bool:
    """Return the heaps' free pages to the system now; whether any were returned."""
    libc = _libc()
    return libc is not None and libc.malloc_trim(0) == 1


def trim_periodically(stop: threading.Event, seconds: float = TRIM_SECONDS) -> None:
    """:func:`trim_heap` every ``seconds`` until ``stop``, in a thread of its own."""
    if _libc() is None:
        return

    def trim() -> None:
        while not stop.wait(seconds):
            trim_heap()

    threading.Thread(target=trim, name="malloc-trim", daemon=True).start()
