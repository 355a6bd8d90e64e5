"""A real HTTP(S) test server (stdlib ``http.server`` in threads) with useful endpoints.

    with HttpServer() as web:                                   # http://127.0.0.1:<port>
        web.url("/json")
    with HttpServer(tls=certs.server_context("expired")) as web:  # https://...

Endpoints (any method):

- ``/json``: 200, :data:`JSON_BODY`.
- ``/status/<code>``: that status, a short text body.
- ``/redirect/<n>``: 302 to ``/redirect/<n-1>``; ``/redirect/0`` redirects to ``/json``.
- ``/redirect-loop``: 302 to itself.
- ``/redirect-to?url=<url>[&status=<code>][&cookie=<set-cookie>]``: 302 (or ``code``) to
  ``url``, setting the cookie if given.
- ``/slow?delay=<s>[&id=<id>]``: waits ``s`` seconds (default 1), then like ``/json``;
  with an ``id``, the seconds from the request's arrival (the kernel's receive stamp of
  its first byte, where Linux gives one, else the accept) to the answer's last byte sent
  are kept in :attr:`HttpServer.served`: the exchange as the server saw it.
- ``/drip?bytes=<n>&delay=<s>``: sends headers, then one byte every ``s`` seconds.
- ``/bytes/<n>``: ``n`` bytes of ``x`` (text/plain).
- ``/echo``: JSON of the request: ``method``, ``path``, ``query``, ``headers``, ``body``.
- ``/gzip``: :data:`JSON_BODY`, gzip-encoded.
- ``/gzip-bomb?mib=<n>``: ``n`` MiB of zeros (default 256), gzip-encoded (about 1/1000 of it).
- ``/escapes/<n>``: ``n`` bytes of control characters (each grows 6-fold as JSON).
- ``/close``: closes the connection without answering.
- anything else: 404.

A ``CONNECT host:port`` request to a loopback address opens a tunnel there: the server is
an https proxy too (``tunnels`` counts them).
"""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import json
import select
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from tools.targets.base import Target
from tools.targets.processes import spawn, stop

JSON_BODY: dict[str, Any] = {"status": "ok", "version": "1.2.3", "items": [1, 2, 3]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A real server's backlog: with the stdlib default of 5, many concurrent clients see
    # dropped SYNs and 1 s retransmits that measure the server, not the client.
    request_queue_size = 1024
    tls: ssl.SSLContext | None = None
    stopping: threading.Event
    tunnels = 0
    #: Wall time each open connection was accepted, by file descriptor.
    accepted: dict[int, float]
    served: dict[str, float]

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        self.accepted[connection.fileno()] = time.time()
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts, refused certificates) are part of the tests.
        pass


class _V6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "netchecks-test"
    timeout = 30  # a stuck client never holds a thread forever

    def setup(self) -> None:
        accepted_at = self.server.accepted.pop(self.request.fileno(), time.time())
        self.request.settimeout(self.timeout)
        self.arrived_at = _first_byte_arrival(self.request) or accepted_at
        if self.server.tls is not None:
            self.request.settimeout(10)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self.server.tls is not None:
                # The server closes the plain socket it accepted, which the TLS one replaced.
                self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def do_CONNECT(self) -> None:
        """Act as an https proxy: tunnel to ``host:port`` on this machine's loopback."""
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            self.send_error(403, "this test proxy tunnels to loopback only")
            return
        self.server.tunnels += 1
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            _pump(self.connection, upstream)
        self.close_connection = True

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/json":
            self._send_json(200, JSON_BODY)
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, f"status {code}\n".encode(), "text/plain")
        elif path.startswith("/redirect/"):
            hops = int(path.rsplit("/", 1)[1])
            self._redirect(f"/redirect/{hops - 1}" if hops > 0 else "/json")
        elif path == "/redirect-loop":
            self._redirect("/redirect-loop")
        elif path == "/redirect-to":
            # ``status`` (default 302) and ``cookie`` (a Set-Cookie value) shape the answer.
            cookie = query.get("cookie")
            extra = {"Set-Cookie": cookie} if cookie else {}
            self._redirect(query.get("url", "/json"), int(query.get("status", "302")), extra)
        elif path == "/slow":
            self.server.stopping.wait(float(query.get("delay", "1")))
            self._send_json(200, JSON_BODY)
            if "id" in query:
                self.wfile.flush()
                self.server.served[query["id"]] = time.time() - self.arrived_at
        elif path == "/drip":
            self._drip(int(query.get("bytes", "10")), float(query.get("delay", "0.1")))
        elif path.startswith("/bytes/"):
            self._send(200, b"x" * int(path.rsplit("/", 1)[1]), "text/plain")
        elif path == "/echo":
            self._send_json(
                200,
                {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "headers": dict(self.headers.items()),
                    "body": body.decode("utf-8", "replace"),
                },
            )
        elif path == "/gzip":
            payload = gzip.compress(json.dumps(JSON_BODY).encode())
            self._send(200, payload, "application/json", extra={"Content-Encoding": "gzip"})
        elif path == "/gzip-bomb":
            payload = _gzip_bomb(int(query.get("mib", "256")))
            self._send(200, payload, "text/plain", extra={"Content-Encoding": "gzip"})
        elif path.startswith("/escapes/"):
            self._send(200, b"\x01" * int(path.rsplit("/", 1)[1]), "text/plain")
        elif path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send_json(self, code: int, payload: Any) -> None:
        self._send(code, json.dumps(payload).encode(), "application/json")

    def _send(
        self, code: int, payload: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Netchecks-Test", "yes")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _redirect(
        self, location: str, status: int = 302, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _drip(self, count: int, delay: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(count))
        self.end_headers()
        self.wfile.flush()
        for _ in range(count):
            if self.server.stopping.wait(delay):
                return
            self.wfile.write(b".")
            self.wfile.flush()


#: Linux's receive time stamps (the socket module does not name the option).
_SO_TIMESTAMPNS = 35 if sys.platform == "linux" else None
_TIMESPEC = struct.Struct("@ll")


def _stamp_arrivals(listener: socket.socket) -> None:
    """Have the kernel stamp the data of every connection ``listener`` accepts."""
    if _SO_TIMESTAMPNS is not None:
        with contextlib.suppress(OSError):
            listener.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)


def _first_byte_arrival(connection: socket.socket) -> float | None:
    """When the connection's first data arrived (wall clock), without reading it."""
    if _SO_TIMESTAMPNS is None:
        return None
    try:
        _, ancillary, _, _ = connection.recvmsg(
            1, socket.CMSG_SPACE(_TIMESPEC.size), socket.MSG_PEEK
        )
    except OSError:
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
            seconds, nanoseconds = _TIMESPEC.unpack(data[: _TIMESPEC.size])
            return float(seconds + nanoseconds / 1e9)
    return None


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)


_BOMBS: dict[int, bytes] = {}
_BOMBS_LOCK = threading.Lock()


def _gzip_bomb(mib: int) -> bytes:
    """``mib`` MiB of zeros, gzip-compressed (built once per size, a chunk at a time)."""
    with _BOMBS_LOCK:
        if mib not in _BOMBS:
            compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
            zeros = bytes(1024 * 1024)
            parts = [compressor.compress(zeros) for _ in range(mib)]
            _BOMBS[mib] = b"".join(parts) + compressor.flush()
        return _BOMBS[mib]


class HttpServer(Target):
    """An HTTP server (HTTPS when given a server ``tls`` context) on a free loopback port."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.tls = tls
        self.host = host
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return "https" if self.tls is not None else "http"

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The URL of ``path`` on this server."""
        return self.base_url + path

    @property
    def served(self) -> dict[str, float]:
        """Seconds each ``/slow?id=`` exchange took as the server saw it (accept to answer)."""
        return self._server.served if self._server is not None else {}

    @property
    def tunnels(self) -> int:
        """CONNECT tunnels opened so far (the server acting as an https proxy)."""
        return self._server.tunnels if self._server is not None else 0

    def start(self) -> None:
        """Bind a free port and serve in a background thread."""
        server_class = _V6Server if ":" in self.host else _Server
        server = server_class((self.host, 0), _Handler)
        server.tls = self.tls
        server.stopping = threading.Event()
        server.accepted, server.served = {}, {}
        _stamp_arrivals(server.socket)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (slow and dripping responses are cut short)."""
        if self._server is None:
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


class HttpServerProcess(Target):
    """:class:`HttpServer` (plain HTTP, 127.0.0.1) in a process of its own.

    Timing tests use it: a server in the test's own process shares its interpreter lock,
    so the client's measured exchange would include the server's Python work.
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def url(self, path: str = "/") -> str:
        """The URL of ``path`` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> None:
        """Start the process and wait until it reports its port."""
        root = str(Path(__file__).resolve().parents[2])  # where ``tools`` is
        code = "\n".join(
            [
                "import sys",
                f"sys.path.insert(0, {root!r})",
                "from tools.targets import http",
                "http._serve()",
            ]
        )
        # Kept open while the server runs (closed by stop): its first line is the port.
        self._log = tempfile.TemporaryFile(prefix="netchecks-http-")  # noqa: SIM115
        self._process = spawn([sys.executable, "-c", code], log=self._log)
        end = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < end and self._process.poll() is None:
            self._log.seek(0)
            first = self._log.readline()
            if first.endswith(b"\n"):
                self.port = int(first)
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("the HTTP server process did not start")

    def stop(self) -> None:
        """Stop the process."""
        if self._process is not None:
            stop(self._process)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


#: Seconds a server process may take to start.
_START_TIMEOUT = 10.0


def _serve() -> None:
    """The body of :class:`HttpServerProcess`: serve until stopped, the port on stdout."""
    with HttpServer() as server:
        print(server.port, flush=True)
        threading.Event().wait()
