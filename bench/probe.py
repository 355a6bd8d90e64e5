#!/usr/bin/env python3
"""Benchmark: our ``netchecks`` probe vs the old ``netcheck`` 0.10.0 CLI, side by side.

    .venv/bin/python -m bench.probe [--repeat N]

Starts its own targets (an HTTP server with 200 ms slow endpoints, a TCP
listener, a closed port, dnsmasq on 127.0.0.2:53 when that port can be bound:
the old CLI cannot query another port), writes configs of 1, 10 and 50 mixed
rules, runs both CLIs on each, and prints wall time and peak RSS of each run
(median wall and max RSS over the repeats) and the ratios; then the same for
``--version``. The old CLI is installed in ``.bench/netcheck-0.10.0`` (a venv,
with ``common-expression-language==0.5.6`` pinned as its lock file does; newer
releases crash on failing checks). Targets: 50 rules in at most 0.25 of the
old CLI's wall time; ``--version`` in at most half.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools.targets.tcp import ClosedPort

ROOT = Path(__file__).resolve().parent.parent

OLD_VENV = ROOT / ".bench" / "netcheck-0.10.0"
OLD_PINS = ["netcheck==0.10.0", "common-expression-language==0.5.6"]
NEW_CLI = ROOT / ".venv" / "bin" / "netchecks"
OLD_CLI = OLD_VENV / "bin" / "netcheck"
DNS_ADDRESS = "127.0.0.2"
DNS_NAME = "www.bench.test"


def ensure_old_cli() -> None:
    """Install the old CLI in its own venv (once)."""
    if OLD_CLI.exists():
        return
    print(f"installing {' '.join(OLD_PINS)} into {OLD_VENV}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(OLD_VENV)], check=True)
    pip = [str(OLD_VENV / "bin" / "pip"), "install", "-q", *OLD_PINS]
    subprocess.run(pip, check=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        code, body = 200, json.dumps({"status": "ok", "version": "1.2.3"}).encode()
        if path == "/slow":
            time.sleep(0.2)
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
        elif path == "/echo":
            body = json.dumps({"headers": dict(self.headers.items())}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A real server's backlog: with the stdlib default of 5, concurrent clients
    # see dropped SYNs and 1 s retransmits that measure the server, not the probe.
    request_queue_size = 1024


class HttpServer:
    """An HTTP server on 127.0.0.1: ``/json``, ``/slow`` (200 ms), ``/status/<code>``, ``/echo``."""

    def __enter__(self) -> HttpServer:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP port that accepts (the kernel completes the handshake; nobody reads)."""

    def __enter__(self) -> Listener:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()


class Dnsmasq:
    """dnsmasq on 127.0.0.2:53 with one record, if the port can be had."""

    def __enter__(self) -> Dnsmasq:
        self.process: subprocess.Popen[bytes] | None = None
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not Path(binary).exists():
            return self
        self.process = subprocess.Popen(
            [
                binary,
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                f"--listen-address={DNS_ADDRESS}",
                "--bind-interfaces",
                "--port=53",
                f"--address=/{DNS_NAME}/192.0.2.10",
                "--user=root",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.3)
        if self.process.poll() is not None:
            why = (self.process.stderr.read() if self.process.stderr else b"").decode().strip()
            print(f"no DNS rules: dnsmasq did not start ({why})", file=sys.stderr)
            self.process = None
        return self

    @property
    def running(self) -> bool:
        return self.process is not None

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def rules(
    count: int, web: HttpServer, tcp_port: int, closed_port: int, dns: bool
) -> list[dict[str, Any]]:
    """``count`` mixed rules; two in ten hit a 200 ms endpoint."""
    kinds: list[dict[str, Any]] = [
        {"type": "http", "url": web.url("/json")},
        {"type": "http", "url": web.url("/slow")},
        {"type": "tcp", "host": "127.0.0.1", "port": tcp_port},
        {"type": "tcp", "host": "127.0.0.1", "port": closed_port, "expected": "fail"},
        {"type": "dns", "host": DNS_NAME, "server": DNS_ADDRESS}
        if dns
        else {"type": "http", "url": web.url("/status/404"), "expected": "fail"},
        {
            "type": "http",
            "url": web.url("/json"),
            "validation": "parse_json(data.body).status == 'ok'",
        },
        {"type": "internal", "validation": "true"},
        {"type": "tcp", "host": "127.0.0.1", "port": tcp_port},
        {"type": "http", "url": web.url("/slow")},
        {"type": "http", "url": web.url("/echo"), "headers": {"X-Bench": "1"}},
    ]
    return [{"name": f"rule-{i}", **kinds[i % len(kinds)]} for i in range(count)]


def measure(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) of that one child, and its stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return wall, usage.ru_maxrss, out.read().decode("utf-8", "replace")


def passes(stdout: str) -> str:
    """``passed/total`` from an output document (or ``?`` when it does not parse)."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return "?"
    results = [r for a in document["assertions"] for r in a["results"]]
    return f"{sum(r['status'] == 'pass' for r in results)}/{len(results)}"


def series(command: list[str], repeat: int) -> tuple[float, int, str]:
    runs = [measure(command) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median wall)")
    args = parser.parse_args()
    ensure_old_cli()
    rows: list[tuple[str, float, int, float, int, str]] = []
    with (
        HttpServer() as web,
        Listener() as tcp,
        ClosedPort() as closed,
        Dnsmasq() as dns,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for count in (1, 10, 50):
            config = {
                "assertions": [
                    {
                        "name": "bench",
                        "rules": rules(count, web, tcp.port, closed.port, dns.running),
                    }
                ]
            }
            path = Path(tmp) / f"rules-{count}.json"
            path.write_text(json.dumps(config))
            new = series([str(NEW_CLI), "run", "--config", str(path)], args.repeat)
            old = series([str(OLD_CLI), "run", "--config", str(path)], args.repeat)
            verdicts = f"new {passes(new[2])}, old {passes(old[2])}"
            rows.append((f"run {count} rules", new[0], new[1], old[0], old[1], verdicts))
        new_v = series([str(NEW_CLI), "--version"], max(args.repeat, 5))
        old_v = series([str(OLD_CLI), "--version"], max(args.repeat, 5))
        rows.append(("--version", new_v[0], new_v[1], old_v[0], old_v[1], ""))

    print(f"repeats: {args.repeat}; DNS rules: {'yes' if dns.running else 'no (replaced by HTTP)'}")
    print(
        f"{'case':<16}{'netchecks':>11}{'RSS':>9}{'netcheck':>11}{'RSS':>9}"
        f"{'wall ratio':>12}{'RSS ratio':>11}  passed"
    )
    for name, new_wall, new_rss, old_wall, old_rss, verdicts in rows:
        print(
            f"{name:<16}{new_wall:>10.3f}s{new_rss / 1024:>7.1f}MB"
            f"{old_wall:>10.3f}s{old_rss / 1024:>7.1f}MB"
            f"{new_wall / old_wall:>12.2f}{new_rss / old_rss:>11.2f}  {verdicts}"
        )
    fifty, version = rows[2], rows[3]
    print(
        f"target: 50 rules <= 0.25 of old wall: {fifty[1] / fifty[3]:.2f} "
        f"({'met' if fifty[1] / fifty[3] <= 0.25 else 'NOT met'})"
    )
    print(
        f"target: --version <= 0.5 of old wall: {version[1] / version[3]:.2f} "
        f"({'met' if version[1] / version[3] <= 0.5 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
