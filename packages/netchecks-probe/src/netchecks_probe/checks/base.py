"""What every check shares: the deadline it must respect, the clock of its network time.

One object answers "how long may this still take": the run has a
:class:`Deadline` (``--run-timeout``), and :meth:`Deadline.for_rule` gives each
attempt of a rule its own, the rule's timeout cut short by the run's. A check
only ever asks its deadline for :meth:`~Deadline.remaining` time.

A :class:`NetworkClock` times the check's network exchange itself, which the result
reports as ``startTimestamp``/``endTimestamp``: rules such as ``< duration('10ms')``
judge the network, not how long the check waited for a thread.
"""

from __future__ import annotations

import datetime
import ipaddress
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A point in monotonic time by which a check must have returned.

    ``by_run`` is true when the run's deadline, not the rule's own timeout, set
    that point: a check that runs out of time then was cut by the run (reason
    ``deadline``, an error), not timed out by its target (reason ``timeout``).
    """

    at: float
    by_run: bool = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    def for_rule(self, timeout: float) -> Deadline:
        """The deadline of one attempt of a rule: ``timeout`` from now, within this one."""
        own = time.monotonic() + timeout
        return Deadline(min(own, self.at), by_run=self.at < own)

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.at


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IP address literal (not a name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class NetworkClock:
    """When a check's network exchange started and ended (first :meth:`stop` wins).

    The start is read from the wall clock, the length from the monotonic one. Stopped
    by the thread doing the exchange as soon as it ends, or by the waiting thread when
    it gives up on it (a timeout): then the exchange lasted until that moment.

    Where the kernel tells when the answer's last bytes arrived (:meth:`arrived`), a
    complete exchange ends then (:meth:`finish`): not later, when the thread reading them
    got the interpreter lock back from the other rules' threads.

    Likewise at the start: where the kernel tells how long the TCP handshake took
    (:meth:`connected`), the exchange starts that long before its first send
    (:meth:`sending`), not when the thread that opened the connection got the lock back.
    A connection is idle between the two, so nothing on the network is left out. This
    too holds for a complete exchange only.
    """

    def __init__(self) -> None:
        self._wall: datetime.datetime | None = None
        self._started = 0.0
        self._stopped: float | None = None
        self._connecting = False
        self._arrival: float | None = None
        #: The first connection's handshake, in seconds, until its first send.
        self._handshake: float | None = None
        self._first_connection = True
        #: How much later than the clock's start the exchange was on the network.
        self._late = 0.0
        #: The exchange's thread finishes while the waiting one may stop: one wins.
        self._ending = threading.Lock()

    def start(self) -> None:
        """Mark the start of the exchange (just before the first packet)."""
        self._wall = datetime.datetime.now(datetime.UTC)
        self._started = time.perf_counter()

    def connecting(self) -> None:
        """Start again, once, as the first connection opens (a later call changes nothing).

        A client library prepares its request after :meth:`start` (URL, headers, pools):
        work that waits for the interpreter lock while other rules run, not network time.
        """
        if not self._connecting and self._stopped is None:
            self._connecting = True
            self.start()

    def connected(self, handshake_seconds: float | None) -> None:
        """Note that a connection opened; its handshake took ``handshake_seconds``.

        None when the kernel cannot say, or its figure may be too small (a SYN sent
        again): then the whole connect counts. Only the first connection counts.
        """
        if self._first_connection and self._stopped is None:
            self._first_connection = False
            self._handshake = handshake_seconds

    def sending(self) -> None:
        """Note that the first connection is about to send its first bytes.

        The exchange then started a handshake before now: later than the clock's start
        if the thread resumed late after connecting (never earlier).
        """
        handshake, self._handshake = self._handshake, None
        if handshake is not None and self._stopped is None:
            self._late = max(0.0, time.perf_counter() - handshake - self._started)

    def arrived(self, wall_seconds: float) -> None:
        """Note when (wall clock, seconds since the epoch) the latest data arrived."""
        if self._stopped is None:
            self._arrival = wall_seconds

    def stop(self) -> None:
        """Mark the end of the exchange now (a later call changes nothing)."""
        with self._ending:
            if self._stopped is None:
                self._stopped = time.perf_counter()

    def finish(self) -> None:
        """Mark the end of an exchange that completed: when its last data arrived, if known.

        Only a complete exchange ends there, and starts its handshake before its first
        send: one cut by its timeout lasted from its start until the cut.
        """
        with self._ending:
            if self._stopped is not None or self._wall is None:
                return
            stopped = time.perf_counter()
            if self._arrival is not None:
                arrival = self._started + (self._arrival - self._wall.timestamp())
                stopped = min(stopped, max(arrival, self._started))
            late = min(self._late, stopped - self._started)
            if late > 0:
                self._started += late
                self._wall += datetime.timedelta(seconds=late)
            self._stopped = stopped

    def stamps(self) -> dict[str, str]:
        """``startTimestamp`` and ``endTimestamp`` (nothing when never started)."""
        if self._wall is None:
            return {}
        self.stop()
        assert self._stopped is not None
        end = self._wall + datetime.timedelta(seconds=self._stopped - self._started)
        return {"startTimestamp": self._wall.isoformat(), "endTimestamp": end.isoformat()}
