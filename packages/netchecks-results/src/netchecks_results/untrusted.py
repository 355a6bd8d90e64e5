"""Probe-looking Pods that are not runs of the operator: counted once each, logged rate-limited.

A user flooding a namespace with forged probe Pods must not flood the service's log
either: each Pod is counted once in ``netchecks.results.untrusted_pods`` (label
``reason``), and at most ``burst`` lines are logged per ``period``; the next line
logged says how many were left out meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from netchecks_core.meta import metadata_of
from opentelemetry.metrics import Counter

from netchecks_results.trust import EXPLANATIONS, UntrustedReason

log = logging.getLogger(__name__)


class UntrustedPods:
    """Counts and logs each untrusted Pod once (bounded memory, bounded log rate)."""

    def __init__(
        self,
        counter: Counter,
        *,
        burst: int = 10,
        period: float = 60.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counter = counter
        self.burst = burst
        self.period = period
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._window_start = clock()
        self._logged = 0
        self._suppressed = 0
        self._lock = threading.Lock()

    def record(self, pod: dict[str, Any], reason: UntrustedReason) -> None:
        """Count ``pod`` (once) and log it unless the rate limit is reached."""
        meta = metadata_of(pod)
        uid = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
        with self._lock:
            if uid in self._seen:
                return
            self._seen[uid] = None
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            suppressed = self._admit()
        self.counter.add(1, {"reason": reason})
        if suppressed is None:
            return
        log.warning(
            "Pod %s/%s looks like a probe Pod but is not a run of the operator (%s): ignored%s",
            meta.get("namespace"),
            meta.get("name"),
            EXPLANATIONS[reason],
            f" ({suppressed} more such Pods not logged)" if suppressed else "",
        )

    def _admit(self) -> int | None:
        """None when over the rate; else how many lines were left out before this one."""
        now = self.clock()
        if now - self._window_start >= self.period:
            self._window_start, self._logged = now, 0
        if self._logged >= self.burst:
            self._suppressed += 1
            return None
        self._logged += 1
        suppressed, self._suppressed = self._suppressed, 0
        return suppressed
