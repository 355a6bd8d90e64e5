"""TLS facts of a connection: protocol, cipher and the peer certificate, verified or not.

``data.tls`` of an https check::

    {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "verified": true,
     "certificate": {"subject": "CN=api.example.com", "common-name": "api.example.com",
                     "issuer": "O=Example CA", "sans": ["api.example.com", "10.0.0.1"],
                     "serial": "1a2b...", "not-before": "2025-01-01T00:00:00+00:00",
                     "not-after": "2025-04-01T00:00:00+00:00", "days-remaining": 42,
                     "sha256": "ab12..."}}

The facts are read from the certificate's DER bytes, which the socket gives even
when it was not verified, so a rule can assert expiry of a certificate that fails
verification.
"""

from __future__ import annotations

import math
import socket
import ssl
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def certificate_facts(der: bytes, *, now: datetime | None = None) -> dict[str, Any]:
    """Subject, issuer, SANs, validity and fingerprint of a DER certificate."""
    # Imported here: only https checks pay for it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.now(UTC)
    not_after = cert.not_valid_after_utc
    common_names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    try:
        san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        sans: list[str] = []
    else:
        names = san_ext.value
        sans = [*names.get_values_for_type(x509.DNSName)]
        sans += [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
        sans += [*names.get_values_for_type(x509.RFC822Name)]
        sans += [*names.get_values_for_type(x509.UniformResourceIdentifier)]
    return {
        "subject": cert.subject.rfc4514_string(),
        "common-name": str(common_names[0].value) if common_names else None,
        "issuer": cert.issuer.rfc4514_string(),
        "sans": sans,
        "serial": format(cert.serial_number, "x"),
        "not-before": cert.not_valid_before_utc.isoformat(),
        "not-after": not_after.isoformat(),
        # Whole days, rounded down (negative once expired), so rules compare with ints.
        "days-remaining": math.floor((not_after - now).total_seconds() / 86400),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def connection_facts(sock: ssl.SSLSocket | ssl.SSLObject, *, verified: bool) -> dict[str, Any]:
    """Protocol, cipher and certificate of an established TLS connection."""
    cipher = sock.cipher()
    facts: dict[str, Any] = {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else None,
        "verified": verified,
    }
    der = sock.getpeercert(binary_form=True)
    facts["certificate"] = certificate_facts(der) if der else None
    return facts


def handshake_facts(
    host: str,
    port: int,
    *,
    timeout: float,
    server_name: str | None,
    source_ip: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
) -> dict[str, Any]:
    """Facts from a separate, unverified handshake (when the real one was refused).

    Never raises for network trouble: the error is returned as ``{"error": ...}``.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        if client_cert:
            context.load_cert_chain(client_cert, client_key)
        source = (source_ip, 0) if source_ip else None
        with (
            socket.create_connection((host, port), timeout=timeout, source_address=source) as raw,
            context.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            return connection_facts(tls, verified=False)
    except (OSError, ValueError) as exc:
        return {"verified": False, "error": f"{type(exc).__name__}: {exc}"}


def unusable_tls_files(
    ca_bundle: str | None, client_cert: str | None, client_key: str | None
) -> str | None:
    """Why a rule's CA bundle or client certificate cannot be loaded (None: they can).

    Loaded before connecting, so that a garbage CA bundle is the rule's mistake
    (``tls-config-invalid``, an error), not a handshake failure with the server.
    """
    if not ca_bundle and not client_cert:
        return None  # nothing to load: no context to build (most rules)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    which = f"CA bundle {ca_bundle!r}"
    try:
        if ca_bundle and not Path(ca_bundle).is_dir():  # a directory is a hashed capath
            context.load_verify_locations(cafile=ca_bundle)
        which = f"client certificate {client_cert!r} or key {client_key!r}"
        if client_cert:
            # An encrypted key cannot be used (a rule has no password): never prompt for one.
            context.load_cert_chain(client_cert, client_key, password=_no_password)
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        return f"the rule's {which} cannot be loaded: {error}"
    return None


def _no_password() -> bytes:
    return b""
