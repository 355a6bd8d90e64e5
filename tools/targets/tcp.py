"""TCP targets on loopback: a banner server, a silent server, a closed port and a blackhole.

- :class:`BannerServer` sends :data:`BANNER` on connect, then answers each line:
  ``PING`` with ``PONG``, anything else echoed back.
- :class:`SilentServer` accepts and reads, but never writes (read timeouts).
- :class:`ClosedPort` holds a port bound but not listening: connecting is refused,
  and no other process can take the port meanwhile.
- :class:`Blackhole` is a listener whose accept queue is full (listen backlog 0,
  filled by one connection nobody accepts): Linux drops further SYNs, so connecting
  times out, all without a packet leaving the machine.
"""

from __future__ import annotations

import socket
import threading

from tools.targets.base import Target

BANNER = b"SSH-2.0-netchecks-test\r\n"


class _PortTarget(Target):
    host = "127.0.0.1"
    port = 0

    @property
    def address(self) -> str:
        """``host:port`` (``[host]:port`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class _Listener(_PortTarget):
    """Accepts connections in a thread and hands each to :meth:`serve` in its own thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stopping.clear()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.create_server((self.host, 0), family=family)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._spawn(self._accept_loop)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                client, _peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(0.05)
            with self._lock:
                self._clients.append(client)
            self._spawn(self._serve_safely, client)

    def _serve_safely(self, client: socket.socket) -> None:
        try:
            self.serve(client)
        except OSError:
            pass  # the client went away
        finally:
            client.close()

    def _recv(self, client: socket.socket) -> bytes | None:
        """Next bytes from ``client``; ``b""`` at EOF; None when stopping."""
        while not self._stopping.is_set():
            try:
                return client.recv(4096)
            except TimeoutError:
                continue
        return None

    def serve(self, client: socket.socket) -> None:
        """Talk to one client until it leaves or the server stops."""
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
            self._threads.clear()
        for thread in threads:
            thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class BannerServer(_Listener):
    """Greets with :data:`BANNER`; answers ``PING`` lines with ``PONG``, echoes other lines."""

    def __init__(self, banner: bytes = BANNER, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.banner = banner

    def serve(self, client: socket.socket) -> None:
        client.sendall(self.banner)
        pending = b""
        while True:
            chunk = self._recv(client)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                text = line.rstrip(b"\r")
                client.sendall(b"PONG\r\n" if text == b"PING" else text + b"\r\n")


class SilentServer(_Listener):
    """Accepts and reads everything, never answers."""

    def serve(self, client: socket.socket) -> None:
        while self._recv(client):
            pass


class ClosedPort(_PortTarget):
    """A port that refuses connections (bound, not listening, so it stays ours)."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None

    def start(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((self.host, 0))
        self.port = self._sock.getsockname()[1]

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class Blackhole(_PortTarget):
    """A port where connecting times out: a listener whose accept queue is full."""

    def __init__(self) -> None:
        self._listener: socket.socket | None = None
        self._filler: socket.socket | None = None

    def start(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((self.host, 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        # Backlog 0 holds one connection; take that place and never accept it.
        self._filler = socket.create_connection((self.host, self.port), timeout=2)

    def stop(self) -> None:
        for sock in (self._filler, self._listener):
            if sock is not None:
                sock.close()
        self._filler = self._listener = None
