"""Small helpers for the servers the targets start: free ports, child processes that die with us."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
from collections.abc import Sequence
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port on ``host`` that nothing is bound to right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent(signal_number: int = signal.SIGTERM) -> None:
    """In a child (``preexec_fn``): if the test process dies, the kernel sends the child
    ``signal_number``, so no server outlives the tests."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal_number)


def spawn(argv: Sequence[str], *, log: IO[Any]) -> subprocess.Popen[bytes]:
    """Start a server process that the kernel stops when this process dies."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )


def stop(
    process: subprocess.Popen[bytes], timeout: float = 5.0, signal_number: int = signal.SIGTERM
) -> None:
    """Stop ``process`` with ``signal_number`` and wait for it (kill it if it does not stop
    in time)."""
    if process.poll() is not None:
        return
    process.send_signal(signal_number)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
