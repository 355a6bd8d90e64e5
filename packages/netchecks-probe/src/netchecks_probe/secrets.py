"""Which values count as secret: every scalar reachable from a Secret-backed context.

Rules use Secrets through CEL, so a value derived from one is as secret as the
Secret itself: ``parse_json(creds.json).password``, ``parse_yaml(...)``,
``b64decode(...)``. :func:`derived_scalars` returns the scalars of a Secret
context's value, and, for each string, those of what it parses or decodes to
(JSON, YAML, base64 of UTF-8 text, the user and password of a URL or a libpq
``key=value`` DSN), a few levels down. Numbers count as their
text; booleans and null are not secrets. Keys are field names, not secrets.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from netchecks_core.limits import load_json, load_yaml

#: How many times a value is unpacked (JSON holding base64 holding YAML, ...).
MAX_UNPACKING = 3
#: Longer strings are secrets as a whole but are not parsed for derived values.
MAX_PARSED_CHARS = 256 * 1024
_DSN_FIELD_RE = re.compile(r"\b(password|user)\s*=\s*('[^']*'|\S+)")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=_\-\s]{8,}")


def derived_scalars(value: Any, level: int = 0) -> set[str]:
    """Every scalar of ``value`` as text, with the scalars derived from its strings."""
    found: set[str] = set()
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found |= _from_text(item, level)
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            found.add(str(item))
    return found


@functools.lru_cache(maxsize=4096)
def _from_text(text: str, level: int) -> frozenset[str]:
    """``text`` and what unpacks from it (cached: asked again on every redaction)."""
    found = {text}
    if level < MAX_UNPACKING and len(text) <= MAX_PARSED_CHARS:
        for derived in _unpacked(text):
            found |= derived_scalars(derived, level + 1)
    return frozenset(found)


def _unpacked(text: str) -> Iterable[Any]:
    """What ``parse_json``, ``parse_yaml`` and ``b64decode`` make of ``text`` (when valid)."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        with contextlib.suppress(ValueError):
            yield load_json(stripped)
    if ":" in stripped or "\n" in stripped or stripped.startswith("-"):
        yield from _yaml(stripped)
    yield from _credentials(stripped)
    if _BASE64_RE.fullmatch(stripped):
        for decoded in base64_decodings(stripped):
            with contextlib.suppress(UnicodeDecodeError):
                yield decoded.decode("utf-8")


def base64_decodings(token: str) -> Iterator[bytes]:
    """``token`` decoded as standard and as URL-safe base64, padding restored (if valid)."""
    compact = "".join(token.split()).rstrip("=")
    padded = compact + "=" * (-len(compact) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            yield decode(padded)
        except (binascii.Error, ValueError):
            continue


def _credentials(text: str) -> Iterable[str]:
    """User and password of ``scheme://user:password@host`` and of ``password=... user=...``."""
    if "://" in text and "@" in text:
        with contextlib.suppress(ValueError):
            parts = urlsplit(text)
            yield from (unquote(v) for v in (parts.username, parts.password) if v)
    for match in _DSN_FIELD_RE.finditer(text):
        yield match.group(2).strip("'")


def _yaml(text: str) -> Iterable[Any]:
    import yaml

    try:
        yield load_yaml(text)
    except (yaml.YAMLError, ValueError):
        return
