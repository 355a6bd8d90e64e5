"""Pytest fixtures for the network targets (registered in the root ``conftest.py``).

All targets start once per session, on first use, and stop at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tools.targets.dns import DnsServer, RcodeDnsServer
from tools.targets.http import HttpServer
from tools.targets.local import LocalTargets
from tools.targets.tcp import BannerServer, Blackhole, ClosedPort, SilentServer
from tools.targets.tls import TestCertificates


@pytest.fixture(scope="session")
def local_targets() -> Iterator[LocalTargets]:
    """Every network target, running."""
    with LocalTargets() as targets:
        yield targets


@pytest.fixture(scope="session")
def dns_server(local_targets: LocalTargets) -> DnsServer:
    """dnsmasq with the records of :mod:`tools.targets.dns`."""
    return local_targets.dns


@pytest.fixture(scope="session")
def servfail_dns_server(local_targets: LocalTargets) -> RcodeDnsServer:
    """A DNS server answering SERVFAIL to everything."""
    return local_targets.servfail_dns


@pytest.fixture(scope="session")
def test_certificates(local_targets: LocalTargets) -> TestCertificates:
    """The CA and certificates the HTTPS servers use (files on disk)."""
    return local_targets.certs


@pytest.fixture(scope="session")
def http_server(local_targets: LocalTargets) -> HttpServer:
    """Plain HTTP server."""
    return local_targets.http


@pytest.fixture(scope="session")
def https_server(local_targets: LocalTargets) -> HttpServer:
    """HTTPS with a valid certificate (trust ``test_certificates.ca_file``)."""
    return local_targets.https


@pytest.fixture(scope="session")
def https_expired_server(local_targets: LocalTargets) -> HttpServer:
    """HTTPS with an expired certificate."""
    return local_targets.https_expired


@pytest.fixture(scope="session")
def https_wrong_host_server(local_targets: LocalTargets) -> HttpServer:
    """HTTPS with a certificate for another host name."""
    return local_targets.https_wrong_host


@pytest.fixture(scope="session")
def https_mtls_server(local_targets: LocalTargets) -> HttpServer:
    """HTTPS that requires a client certificate signed by the test CA."""
    return local_targets.https_mtls


@pytest.fixture(scope="session")
def banner_server(local_targets: LocalTargets) -> BannerServer:
    """TCP server that greets with a banner and answers PING with PONG."""
    return local_targets.banner


@pytest.fixture(scope="session")
def silent_server(local_targets: LocalTargets) -> SilentServer:
    """TCP server that accepts but never answers."""
    return local_targets.silent


@pytest.fixture(scope="session")
def refusing_port(local_targets: LocalTargets) -> ClosedPort:
    """A TCP port that refuses connections."""
    return local_targets.closed


@pytest.fixture(scope="session")
def blackhole(local_targets: LocalTargets) -> Blackhole:
    """A TCP port where connecting times out."""
    return local_targets.blackhole
