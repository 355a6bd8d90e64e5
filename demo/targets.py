"""Local stand-ins for the cluster services the example assertions check.

The committed examples name cluster addresses (``payments-api.payments.svc.cluster.local``);
the demo runs a local server for each and points the assertions at it (see
:mod:`demo.examples`). Reuses the TCP targets of :mod:`tests.targets`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import dns.exception
import dns.message
import dns.query

from demo.api import VERSION, DemoApi
from demo.processes import DemoError
from tests.targets.dns import DnsServerError, find_dnsmasq
from tests.targets.processes import free_port, spawn, stop
from tests.targets.tcp import BannerServer, ClosedPort

#: The token the partner API wants; it lives in the demo's Secret (and is redacted).
PARTNER_TOKEN = "demo-partner-token-7f3a"  # noqa: S105 -- a throwaway demo value
KUBERNETES_SERVICE_IP = "10.96.0.1"
PAYMENTS_API = "http://payments-api.payments.svc.cluster.local:8080"


@dataclass
class StandIns:
    """Cluster address -> local address, for :func:`demo.examples.localize`."""

    #: ``scheme://host:port`` of a cluster URL -> local base URL.
    http: dict[str, str] = field(default_factory=dict)
    #: ``(host, port)`` in the cluster -> local ``(host, port)``.
    tcp: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    #: The DNS server every dns rule asks (``IP:port``).
    dns_server: str = ""
    #: ConfigMaps and Secrets the examples' contexts read: (namespace, name) -> data.
    configmaps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


class ClusterDns:
    """dnsmasq answering the cluster names of the examples (and NXDOMAIN for anything else)."""

    def __init__(self) -> None:
        self.port = 0
        self._process: Any = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        try:
            binary = find_dnsmasq()
        except DnsServerError as error:
            raise DemoError(str(error)) from None
        self._dir = tempfile.TemporaryDirectory(prefix="netchecks-demo-dns-")
        log_path = Path(self._dir.name) / "dnsmasq.log"
        for _attempt in range(5):
            self.port = free_port()
            argv = [
                binary,
                "--keep-in-foreground",
                f"--port={self.port}",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--conf-file=/dev/null",
                "--pid-file=",
                f"--user={pwd.getpwuid(os.geteuid()).pw_name}",
                "--log-facility=-",
                # The API server's Service, by its short and full name (search domains).
                "--host-record=kubernetes,kubernetes.default.svc.cluster.local,"
                + KUBERNETES_SERVICE_IP,
                "--srv-host=_https._tcp.kubernetes.default.svc.cluster.local,"
                "kubernetes.default.svc.cluster.local,443",
                # Like a cluster DNS that does not forward: external names do not exist.
                "--address=/#/",
            ]
            with log_path.open("wb") as log:
                self._process = spawn(argv, log=log)
            if self._answers():
                return
            stop(self._process)
        raise DemoError(f"dnsmasq did not start: {log_path.read_text(errors='replace')}")

    def _answers(self) -> bool:
        query = dns.message.make_query("kubernetes.default.svc.cluster.local", "A")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                dns.query.udp(query, "127.0.0.1", timeout=0.2, port=self.port)
            except (OSError, dns.exception.Timeout):
                time.sleep(0.02)
                continue
            return True
        return False

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class DemoTargets:
    """Every stand-in, started and stopped together."""

    def __init__(self) -> None:
        self.payments_api = DemoApi()
        self.partner_api = DemoApi(token=PARTNER_TOKEN)
        self.dns = ClusterDns()
        self.shop_api = BannerServer(b"")  # any listener: the port is open
        self.smtp_relay = BannerServer(b"220 smtp-relay.mail ESMTP netchecks demo\r\n")
        self.postgres = ClosedPort()  # the port the frontend must not reach
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> DemoTargets:
        with contextlib.ExitStack() as stack:
            for api in (self.payments_api, self.partner_api):
                stack.callback(api.stop)
                api.start()
            self.dns.start()
            stack.callback(self.dns.stop)
            for target in (self.shop_api, self.smtp_relay, self.postgres):
                stack.enter_context(target)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def stand_ins(self) -> StandIns:
        """Where each cluster address of the examples is served locally."""
        return StandIns(
            http={
                "http://payments-api.payments.svc.cluster.local:8080": self.payments_api.base_url
            },
            tcp={
                ("postgres.shop.svc.cluster.local", 5432): ("127.0.0.1", self.postgres.port),
                ("api.shop.svc.cluster.local", 8080): ("127.0.0.1", self.shop_api.port),
                ("smtp-relay.mail.svc.cluster.local", 25): ("127.0.0.1", self.smtp_relay.port),
            },
            dns_server=self.dns.address,
            configmaps={
                ("integrations", "partner-endpoints"): {
                    "base_url": self.partner_api.base_url,
                    "expected_version": VERSION,
                }
            },
            secrets={("integrations", "partner-api-token"): {"token": PARTNER_TOKEN}},
        )
