"""When an answer arrived, as the kernel saw it: network time free of thread scheduling.

A thread whose socket has data must get the interpreter lock back before it can read
the clock, and while other rules run that takes milliseconds: a loopback answer in
0.2 ms would be reported as several. Linux stamps each received packet
(``SO_TIMESTAMPNS``); a socket that reads with ``recvmsg`` gets the stamp of the data it
read, and hands it to the exchange's :class:`~netchecks_probe.checks.base.NetworkClock`.

Plain TCP only: a TLS socket reads inside OpenSSL, where the stamps are not passed on,
so https exchanges keep the thread's own clock.
"""

from __future__ import annotations

import socket
import struct
import sys
from typing import Any

from netchecks_probe.checks.base import NetworkClock

#: Linux's option number (the socket module does not name it).
SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
_TIMESPEC = struct.Struct("@ll")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


class ArrivalSocket(socket.socket):
    """A TCP socket that tells its clock when the data it reads arrived."""

    clock: NetworkClock | None = None

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer)
        if nbytes:
            view = view[:nbytes]
        count, ancillary, _flags, _address = self.recvmsg_into([view], _ANCILLARY, flags)
        if count and self.clock is not None:
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = _TIMESPEC.unpack(data[: _TIMESPEC.size])
                    self.clock.arrived(seconds + nanoseconds / 1e9)
        return count


def timestamped(sock: socket.socket, clock: NetworkClock) -> socket.socket:
    """``sock`` as an :class:`ArrivalSocket` reporting to ``clock`` (as is where unsupported)."""
    if SO_TIMESTAMPNS is None or not _ANCILLARY:
        return sock
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return sock
    timeout = sock.gettimeout()
    stamped = ArrivalSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    stamped.settimeout(timeout)
    stamped.clock = clock
    return stamped
