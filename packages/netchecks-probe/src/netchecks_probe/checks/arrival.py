"""When an exchange was on the network, as the kernel saw it: free of thread scheduling.

A thread whose socket has data must get the interpreter lock back before it can read
the clock, and while other rules run that takes milliseconds: a loopback answer in
0.2 ms would be reported as several. Linux stamps each received packet
(``SO_TIMESTAMPNS``); a socket that reads with ``recvmsg`` gets the stamp of the data it
read, and hands it to the exchange's :class:`~netchecks_probe.checks.base.NetworkClock`.

The same holds after ``connect``: the kernel measured the handshake (``TCP_INFO``'s
round-trip time of the SYN), so the start is that long before the first send
(:func:`handshake_seconds`), not when the connecting thread got the lock back.

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
#: ``struct tcp_info`` (linux/tcp.h, stable ABI): ``tcpi_rtt`` (microseconds) and
#: ``tcpi_total_retrans``, at their offsets.
_TCP_INFO_SIZE = 104
_RTT_OFFSET = 68
_TOTAL_RETRANS_OFFSET = 100
_U32 = struct.Struct("=I")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


class ArrivalSocket(socket.socket):
    """A TCP socket that tells its clock when the data it reads arrived."""

    clock: NetworkClock | None = None

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.clock is not None:
            self.clock.sending()  # just before the bytes leave (the lock is still held)
        super().sendall(data, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        if self.clock is not None:
            self.clock.sending()
        return super().send(data, flags)

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


def handshake_seconds(sock: socket.socket) -> float | None:
    """How long the TCP handshake of ``sock`` took, as the kernel measured it.

    None where unknown, or where a segment was sent again: the round-trip time then
    describes the last SYN only, and would leave out the wait before it.
    """
    option = getattr(socket, "TCP_INFO", None)
    if option is None or sys.platform != "linux":  # elsewhere ``tcp_info`` is laid out apart
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, _TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < _TCP_INFO_SIZE:
        return None
    rtt: int = _U32.unpack_from(info, _RTT_OFFSET)[0]
    if rtt <= 0 or _U32.unpack_from(info, _TOTAL_RETRANS_OFFSET)[0] != 0:
        return None
    return rtt / 1e6


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
