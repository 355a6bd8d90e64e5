"""Why a check failed: the fixed set of ``data.reason`` values.

Every check that could not observe what it was asked to (or observed a
failure, such as an HTTP error status) sets ``data.reason`` to one of these,
besides the free-text ``exception``. Dashboards and the results service build
messages from them, so the set only grows.
"""

from __future__ import annotations

from typing import Final

REASONS: Final[dict[str, str]] = {
    # Common to every network check.
    "timeout": "the check did not finish within its timeout",
    "connection-refused": "the server refused the connection",
    "connection-reset": "the connection was reset or closed by the peer",
    "host-unreachable": "no route to the host or network",
    "name-resolution-failed": "the host name could not be resolved",
    "source-ip-unavailable": "the source IP is not an address of this host",
    "invalid-target": "the target (URL, host, port or server) is not valid",
    # DNS.
    "nxdomain": "the name does not exist",
    "no-answer": "the name exists but has no record of the asked type",
    "servfail": "the DNS server failed to answer (SERVFAIL)",
    "dns-refused": "the DNS server refused the query",
    "dns-error": "another DNS error",
    # TLS and HTTP.
    "tls-verify-failed": "the server's certificate could not be verified",
    "tls-error": "the TLS handshake failed",
    "tls-config-invalid": "the CA bundle or client certificate/key of the rule could not be read",
    "http-status": "the server answered with an HTTP error status (4xx or 5xx)",
    "too-many-redirects": "the redirects did not end",
    # TCP banner exchange.
    "banner-mismatch": "the server's banner did not contain what was expected",
    "banner-timeout": "the connection was made but no banner arrived within the timeout",
    # PostgreSQL.
    "auth-failed": "the database refused the credentials",
    "permission-denied": "the database refused the statement for lack of privilege",
    "read-only-violation": "the statement tried to write in a read-only transaction",
    "query-error": "the database rejected the statement",
    "multiple-statements": "the query holds more than one SQL statement (none was run)",
    "invalid-rule": "a grants rule names roles that do not exist on the server",
    "privilege-violation": "a role's effective privileges break a grants rule",
    # The runner.
    "deadline": "the run's deadline cut the rule before it finished",
    # Anything else.
    "error": "an unexpected error (see the exception)",
}


#: The check got no response: the target refused, was unreachable, did not exist or
#: stayed silent within the rule's own timeout. Such a check has *failed* (``expected:
#: fail`` makes it a pass: the usual "must be blocked" rule), even where its CEL rule
#: cannot be evaluated for want of the response's fields.
NO_RESPONSE_REASONS: Final = frozenset(
    {
        "timeout",
        "connection-refused",
        "connection-reset",
        "host-unreachable",
        "name-resolution-failed",
        "nxdomain",
        "no-answer",
        "servfail",
        "dns-refused",
        "tls-error",
        "tls-verify-failed",
    }
)

#: The check could not be judged, whatever its CEL rule says: the rule was cut by the
#: run's deadline, its target, TLS files or grants rule are not usable, a response began
#: but did not complete, or the check hit an unexpected error. Such a result is ``error``,
#: and ``expected: fail`` never turns it into a pass.
UNJUDGED_REASONS: Final = frozenset(
    {
        "deadline",
        "invalid-target",
        "source-ip-unavailable",
        "tls-config-invalid",
        "banner-timeout",
        "multiple-statements",
        "invalid-rule",
        "error",
    }
)
