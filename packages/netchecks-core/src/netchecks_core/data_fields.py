"""What each check type puts in ``data``: the fields CEL rules may read.

One registry serves two readers: the validator (a CEL rule that reads an
unknown key of ``data`` is refused before anything runs, with a did-you-mean)
and the verdict (a missing key at run time names the closest known field).
The lists follow docs/checks.md; a field a check sets only on failure is still
a known field, since rules may test it.
"""

from __future__ import annotations

import difflib
from typing import Final

#: Set by the runner on every result, whatever the type.
COMMON_FIELDS: Final = frozenset(
    {"startTimestamp", "endTimestamp", "reason", "exception", "exception-type", "attempts"}
)

#: Fields of ``data`` per check type (besides :data:`COMMON_FIELDS`).
DATA_FIELDS: Final[dict[str, frozenset[str]]] = {
    "dns": frozenset(
        {
            "response-code",
            "A",
            "answers",
            "canonical_name",
            "expiration",
            "ttl",
            "server",
            "response",
        }
    ),
    "http": frozenset(
        {"status-code", "headers", "body", "body-truncated", "url", "redirects", "tls"}
    ),
    "tcp": frozenset({"connected", "error", "banner"}),
    "internal": frozenset(),
    "postgres": frozenset({"success", "rows", "columns", "row-count", "truncated", "sqlstate"}),
    "postgres-grants": frozenset(
        {
            "success",
            "sqlstate",
            "rule-count",
            "violations",
            "violation-count",
            "violations-truncated",
            "pair-count",
            "rule-results",
            "elapsed-seconds",
        }
    ),
}


def known_fields(check_type: str) -> frozenset[str] | None:
    """Every field ``data`` may hold for ``check_type`` (None: a type this version lacks)."""
    fields = DATA_FIELDS.get(check_type)
    return None if fields is None else fields | COMMON_FIELDS


def closest_field(check_type: str, key: str) -> str | None:
    """The known field of ``check_type`` that ``key`` most likely meant, if any is close.

    ``status_code`` -> ``status-code``: separators are compared loosely, since
    the kebab-case names are the commonest slip.
    """
    fields = known_fields(check_type)
    if not fields:
        return None
    loose = {_loose(name): name for name in fields}
    if _loose(key) in loose:
        return loose[_loose(key)]
    match = difflib.get_close_matches(key, sorted(fields), n=1, cutoff=0.6)
    return match[0] if match else None


def _loose(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()
