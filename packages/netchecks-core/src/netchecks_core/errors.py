"""The error tree of netchecks_core, the retry taxonomy, and validation messages people can act on.

::

    NetchecksError             root of every error raised by netchecks_core
    ├── CelError               a CEL expression (``expression``) failed (netchecks_core.cel)
    │   ├── CelSyntaxError     it does not parse
    │   └── CelEvaluationError it failed while evaluating
    │       └── CelBudgetError it went over its time or size budget
    ├── DataLimitError         data too deep, too big or too aliased (also a ValueError)
    ├── TemplateError          a ``{{ }}`` template could not be rendered (also a ValueError)
    ├── PermanentError         retrying will not fix it soon (a name taken, an object refused)
    └── TemporaryError         worth retrying after ``delay`` seconds at the earliest

:class:`PermanentError` and :class:`TemporaryError` are the retry taxonomy the services'
``error_policy`` switches on (kopf's split): an error of any package joins it by deriving
from its package's root and from one of the two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic is imported where its errors are: a valid run never needs it
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


class NetchecksError(Exception):
    """Root of every error raised by :mod:`netchecks_core`."""


class PermanentError(NetchecksError):
    """Retrying will not fix this soon: show it now, retry slowly (someone may fix it)."""


class TemporaryError(NetchecksError):
    """Worth retrying, after :attr:`delay` seconds at the earliest."""

    #: Seconds to wait at least before retrying (None: no floor).
    retry_after: float | None = None

    def __init__(self, message: str = "", delay: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = delay

    @property
    def delay(self) -> float:
        """The earliest retry, in seconds (0: as soon as the back-off allows)."""
        return self.retry_after or 0.0


def field_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """``("assertions", 0, "rules", 2, "port")`` -> ``assertions[0].rules[2].port``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def key_path(where: str, key: Any) -> str:
    """``where.key``, or ``where["key"]`` when the key is not a plain name."""
    if isinstance(key, str) and _IDENT_RE.match(key):
        return f"{where}.{key}" if where else key
    return f"{where}[{json.dumps(key) if isinstance(key, str) else key}]"


def describe(error: ErrorDetails) -> str:
    """What one pydantic error means, in words (without its location)."""
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        return f"unknown type {ctx.get('tag')!r} (known: {ctx.get('expected_tags')})"
    if kind == "union_tag_not_found":
        return "needs a 'type' field"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def _loc_for_display(loc: Sequence[int | str]) -> list[int | str]:
    # Discriminated unions add the tag ("dns") to the location; it is noise to users.
    return [part for part in loc if not (isinstance(part, str) and part in _UNION_TAGS)]


_UNION_TAGS = frozenset(
    {"dns", "http", "tcp", "internal", "postgres", "postgres-grants", "inline", "file", "directory"}
)


def describe_errors(error: ValidationError | Iterable[ErrorDetails], prefix: str = "") -> list[str]:
    """One ``path: problem`` line per error."""
    from pydantic import ValidationError

    details = error.errors() if isinstance(error, ValidationError) else error
    return [f"{display_path(e['loc'], prefix)}: {describe(e)}" for e in details]


def display_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """The field path of an error's location, as people write it."""
    return field_path(_loc_for_display(loc), prefix)


def join(lines: Iterable[str]) -> str:
    """Several problems in one message."""
    return "; ".join(lines)
