"""Every network target at once, for the demo, benchmarks and the test session.

    with LocalTargets() as targets:
        targets.http.url("/json"), targets.dns.address, targets.context()

:meth:`LocalTargets.context` gives the addresses as a flat map, ready to be an
inline context of a probe config (``{{ targets.http_url }}``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from tools.targets.base import Target
from tools.targets.dns import DnsServer, RcodeDnsServer
from tools.targets.http import HttpServer
from tools.targets.tcp import BannerServer, Blackhole, ClosedPort, SilentServer
from tools.targets.tls import TestCertificates


class LocalTargets(Target):
    """DNS, HTTP, HTTPS (good, expired, wrong-host, client-cert-required) and TCP targets."""

    def __init__(self) -> None:
        self.certs = TestCertificates()
        self.dns = DnsServer()
        self.servfail_dns = RcodeDnsServer("SERVFAIL")
        self.http = HttpServer()
        self.https = HttpServer(tls=self.certs.server_context("good"))
        self.https_expired = HttpServer(tls=self.certs.server_context("expired"))
        self.https_wrong_host = HttpServer(tls=self.certs.server_context("wrong-host"))
        self.https_mtls = HttpServer(
            tls=self.certs.server_context("good", require_client_cert=True)
        )
        self.banner = BannerServer()
        self.silent = SilentServer()
        self.closed = ClosedPort()
        self.blackhole = Blackhole()
        self._stack = contextlib.ExitStack()

    def start(self) -> None:
        """Start everything (everything started is stopped again if one fails)."""
        with contextlib.ExitStack() as stack:
            for target in (
                self.certs,
                self.dns,
                self.servfail_dns,
                self.http,
                self.https,
                self.https_expired,
                self.https_wrong_host,
                self.https_mtls,
                self.banner,
                self.silent,
                self.closed,
                self.blackhole,
            ):
                stack.enter_context(target)
            self._stack = stack.pop_all()

    def stop(self) -> None:
        """Stop everything."""
        self._stack.close()

    def context(self) -> dict[str, Any]:
        """Addresses of the targets, as a flat map for an inline context."""
        return {
            "dns_server": self.dns.address,
            "servfail_dns_server": self.servfail_dns.address,
            "http_url": self.http.base_url,
            "https_url": self.https.base_url,
            "https_expired_url": self.https_expired.base_url,
            "https_wrong_host_url": self.https_wrong_host.base_url,
            "https_mtls_url": self.https_mtls.base_url,
            "ca_bundle": str(self.certs.ca_file),
            "client_cert": str(self.certs.client_cert_file),
            "client_key": str(self.certs.client_key_file),
            "tcp_host": "127.0.0.1",
            "banner_port": self.banner.port,
            "silent_port": self.silent.port,
            "closed_port": self.closed.port,
            "blackhole_port": self.blackhole.port,
        }
