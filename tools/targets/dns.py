"""Real DNS servers for tests, demos and benchmarks.

:class:`DnsServer` runs Debian's ``dnsmasq`` on a free loopback port (UDP and TCP)
with the records of :data:`ZONE` and friends; nothing is forwarded anywhere
(``--no-resolv``), except ``*.timeout.test``, which is forwarded to a loopback UDP
socket that never answers, so queries for it time out without any outside traffic.
Names of other domains are answered ``REFUSED``.

:class:`Dnsmasq` is the runner underneath: dnsmasq on a free loopback port with
whatever record options it is given (the demo's cluster DNS uses it too).

:class:`RcodeDnsServer` answers every query with one response code (e.g.
``SERVFAIL``), which dnsmasq cannot be told to do.

    with DnsServer() as dns:
        dns.address   # "127.0.0.1:40123"
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from tools.targets.base import Target
from tools.targets.processes import free_port, spawn, stop

ZONE = "netchecks.test"
WWW = f"www.{ZONE}"
WWW_A = "192.0.2.10"
WWW_AAAA = "2001:db8::10"
ALIAS = f"alias.{ZONE}"  # CNAME -> WWW
MAIL = f"mail.{ZONE}"
MAIL_A = "192.0.2.25"
MX_RECORDS = ((10, MAIL), (20, f"backup.{ZONE}"))  # MX of ZONE
TXT = f"txt.{ZONE}"
TXT_STRINGS = ("v=spf1 include:_spf.netchecks.test", " -all")  # one record, two strings
SRV = f"_http._tcp.{ZONE}"
SRV_RECORD = (10, 5, 8080, WWW)  # priority, weight, port, target
NAMESERVER = f"ns1.{ZONE}"  # NS of ZONE
SOA_RECORD = f"{NAMESERVER}. hostmaster.{ZONE}. 2024010101 3600 600 86400 300"  # SOA of ZONE
CAA_RECORD = '0 issue "letsencrypt.org"'  # CAA of ZONE
MISSING = f"missing.{ZONE}"  # NXDOMAIN
#: A name with so many A records that the UDP answer is truncated (TCP fallback).
MANY = f"many.{ZONE}"
MANY_A = tuple(f"198.51.100.{i}" for i in range(1, 101))
#: Names under this domain time out (forwarded to a socket that never answers).
TIMEOUT_DOMAIN = "timeout.test"
#: TTL of the local records.
TTL = 300

_START_TIMEOUT = 10.0


class DnsServerError(RuntimeError):
    """dnsmasq is missing or did not start."""


def find_dnsmasq() -> str:
    """Path of the dnsmasq binary (Debian installs it in /usr/sbin, often not on PATH)."""
    found = shutil.which("dnsmasq") or shutil.which("dnsmasq", path="/usr/sbin:/sbin")
    if found is None:
        raise DnsServerError(
            "dnsmasq is not installed: run `python3 dev.py setup` or `apt-get install -y dnsmasq`"
        )
    return found


def has_ipv6_loopback() -> bool:
    """Whether this machine can bind ``::1`` (containers sometimes lack IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def _wire_hex(rdtype: str, text: str) -> str:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    wire = rdata.to_wire()
    assert wire is not None  # without a file, to_wire returns the bytes
    return wire.hex()


class Dnsmasq(Target):
    """dnsmasq on a free loopback port, answering only from the records its options give.

    ``options`` are dnsmasq's record options (``--host-record=...``, ``--address=/#/``, ...);
    the rest (foreground, no upstream servers or hosts file, loopback only, log to stdout)
    is set here. :meth:`start` returns once a UDP query for ``ready_name`` is answered.
    ``host`` and ``port`` pin the address (the old ``netcheck`` CLI queries port 53 only).

        with Dnsmasq(["--host-record=api.test,192.0.2.1"], ready_name="api.test") as dns:
            dns.address   # "127.0.0.1:40123"
    """

    def __init__(
        self,
        options: Sequence[str],
        *,
        ready_name: str,
        ipv6: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.options = list(options)
        self.ready_name = ready_name
        self.ipv6 = ipv6
        self.host = host
        #: The port asked for (0: a free one, chosen at each start attempt).
        self.fixed_port = port
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """``IP:port`` of the server, as a dns rule's ``server`` takes it."""
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        """Start dnsmasq and wait until it answers (on a new port if the first is taken)."""
        binary = find_dnsmasq()
        listen = f"{self.host},::1" if self.ipv6 else self.host
        last_error = ""
        for _attempt in range(1 if self.fixed_port else 5):
            self.port = self.fixed_port or free_port(self.host)
            argv = [
                binary,
                "--keep-in-foreground",
                f"--port={self.port}",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                f"--listen-address={listen}",
                "--bind-interfaces",
                "--conf-file=/dev/null",
                "--pid-file=",
                f"--user={pwd.getpwuid(os.geteuid()).pw_name}",
                "--log-facility=-",
                *self.options,
            ]
            with tempfile.TemporaryFile(prefix="netchecks-dnsmasq-") as log:
                self._process = spawn(argv, log=log)
                if self._wait_ready():
                    return
                stop(self._process)
                self._process = None
                log.seek(0)
                last_error = log.read().decode(errors="replace").strip()
        raise DnsServerError(f"dnsmasq did not start: {last_error or 'no output'}")

    def _wait_ready(self) -> bool:
        assert self._process is not None
        query = dns.message.make_query(self.ready_name, "A")
        end = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < end:
            if self._process.poll() is not None:
                return False
            try:
                dns.query.udp(query, self.host, timeout=0.2, port=self.port)
            except (OSError, dns.exception.Timeout):
                time.sleep(0.02)
                continue
            return True
        return False

    def stop(self) -> None:
        """Stop dnsmasq."""
        if self._process is not None:
            stop(self._process)
            self._process = None


class DnsServer(Target):
    """dnsmasq on ``127.0.0.1:<port>`` (and ``[::1]:<port>`` when available) with test records."""

    host = "127.0.0.1"

    def __init__(self, *, ipv6: bool | None = None) -> None:
        self.ipv6 = has_ipv6_loopback() if ipv6 is None else ipv6
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._dnsmasq: Dnsmasq | None = None
        self._blackhole: socket.socket | None = None

    @property
    def address(self) -> str:
        """``IP:port`` of the server, as a dns rule's ``server`` takes it."""
        return f"{self.host}:{self.port}"

    @property
    def address6(self) -> str:
        """``[::1]:port`` (only when :attr:`ipv6`)."""
        return f"[::1]:{self.port}"

    def start(self) -> None:
        """Start dnsmasq and wait until it answers."""
        self._dir = tempfile.TemporaryDirectory(prefix="netchecks-dns-")
        hosts = Path(self._dir.name) / "hosts"
        lines = [f"{WWW_A} {WWW}", f"{WWW_AAAA} {WWW}", f"{MAIL_A} {MAIL}"]
        lines += [f"{address} {MANY}" for address in MANY_A]
        hosts.write_text("\n".join(lines) + "\n")
        hosts.chmod(0o644)
        # A bound UDP socket that nobody reads: queries forwarded to it never get an answer.
        self._blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._blackhole.bind(("127.0.0.1", 0))
        blackhole_port = self._blackhole.getsockname()[1]
        options = [
            f"--local-ttl={TTL}",
            f"--local=/{ZONE}/",
            f"--addn-hosts={hosts}",
            f"--cname={ALIAS},{WWW}",
            *(f"--mx-host={ZONE},{host},{pref}" for pref, host in MX_RECORDS),
            f"--txt-record={TXT},{','.join(TXT_STRINGS)}",
            f"--srv-host={SRV},{SRV_RECORD[3]},{SRV_RECORD[2]},{SRV_RECORD[0]},{SRV_RECORD[1]}",
            f"--dns-rr={ZONE},2,{_wire_hex('NS', NAMESERVER + '.')}",
            f"--dns-rr={ZONE},6,{_wire_hex('SOA', SOA_RECORD)}",
            f"--dns-rr={ZONE},257,{_wire_hex('CAA', CAA_RECORD)}",
            f"--server=/{TIMEOUT_DOMAIN}/127.0.0.1#{blackhole_port}",
        ]
        self._dnsmasq = Dnsmasq(options, ready_name=WWW, ipv6=self.ipv6)
        try:
            self._dnsmasq.start()
        except BaseException:
            self.stop()
            raise
        self.port = self._dnsmasq.port

    def stop(self) -> None:
        """Stop dnsmasq and remove its files."""
        if self._dnsmasq is not None:
            self._dnsmasq.stop()
            self._dnsmasq = None
        if self._blackhole is not None:
            self._blackhole.close()
            self._blackhole = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class RcodeDnsServer(Target):
    """A UDP DNS server on loopback that answers every query with one response code."""

    def __init__(self, rcode: str = "SERVFAIL") -> None:
        self.rcode = dns.rcode.from_text(rcode)
        self.host = "127.0.0.1"
        self.port = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        """``IP:port`` of the server."""
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        """Bind a free port and answer in a background thread."""
        self._stopping.clear()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.host, 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="rcode-dns", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        sock.settimeout(0.1)  # to notice stop() soon
        while not self._stopping.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            response = dns.message.make_response(query)
            response.set_rcode(self.rcode)
            try:
                sock.sendto(response.to_wire(), peer)
            except OSError:
                return

    def stop(self) -> None:
        """Stop answering."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
