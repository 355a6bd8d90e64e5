"""A throwaway certificate authority and the certificates the test servers present.

    with TestCertificates() as certs:
        certs.ca_file          # CA bundle a client trusts
        certs.server_context("good")   # ssl.SSLContext for a server
        certs.client_cert_file, certs.client_key_file

Server certificates (all for ``localhost``, ``127.0.0.1`` and ``::1`` unless said):
``good`` (valid for :data:`GOOD_DAYS` days), ``expired`` (expired
:data:`EXPIRED_DAYS_AGO` days ago), ``wrong-host`` (only for ``wrong.netchecks.test``).
"""

from __future__ import annotations

import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme

from tools.targets.base import Target

IDENTITIES = ("localhost", "127.0.0.1", "::1")
GOOD_DAYS = 90
EXPIRED_DAYS_AGO = 10
WRONG_HOST = "wrong.netchecks.test"
CLIENT_NAME = "client.netchecks.test"
CA_ORGANIZATION = "netchecks test CA"


class TestCertificates(Target):
    """A trustme CA, server certificates and a client certificate, written to a temp dir."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.ca = trustme.CA(organization_name=CA_ORGANIZATION)
        now = datetime.now(UTC)
        self.leaves = {
            "good": self.ca.issue_cert(
                *IDENTITIES, common_name="localhost", not_after=now + timedelta(days=GOOD_DAYS)
            ),
            "expired": self.ca.issue_cert(
                *IDENTITIES,
                common_name="localhost",
                not_before=now - timedelta(days=100),
                not_after=now - timedelta(days=EXPIRED_DAYS_AGO),
            ),
            "wrong-host": self.ca.issue_cert(WRONG_HOST, common_name=WRONG_HOST),
        }
        self.client = self.ca.issue_cert(CLIENT_NAME, common_name=CLIENT_NAME)
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.directory = Path()

    def start(self) -> None:
        """Write the CA bundle and the client certificate and key as PEM files."""
        self._dir = tempfile.TemporaryDirectory(prefix="netchecks-tls-")
        self.directory = Path(self._dir.name)
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.client.cert_chain_pems[0].write_to_path(str(self.client_cert_file))
        self.client.private_key_pem.write_to_path(str(self.client_key_file))
        with self.client_combined_file.open("wb") as combined:
            combined.write(self.client.cert_chain_pems[0].bytes())
            combined.write(self.client.private_key_pem.bytes())

    def stop(self) -> None:
        """Remove the files."""
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM): a client trusting it verifies ``good``."""
        return self.directory / "ca.pem"

    @property
    def client_cert_file(self) -> Path:
        """The client certificate (PEM)."""
        return self.directory / "client.pem"

    @property
    def client_key_file(self) -> Path:
        """The client certificate's private key (PEM)."""
        return self.directory / "client.key"

    @property
    def client_combined_file(self) -> Path:
        """Client certificate and key in one PEM file."""
        return self.directory / "client-combined.pem"

    def server_context(
        self, leaf: str = "good", *, require_client_cert: bool = False
    ) -> ssl.SSLContext:
        """A server-side context presenting certificate ``leaf``."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.leaves[leaf].configure_cert(context)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            self.ca.configure_trust(context)
        return context
