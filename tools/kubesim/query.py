"""Query parameters as the API server decodes them: a value that does not decode is a
400 BadRequest, never an internal error."""

from __future__ import annotations

import math

from .errors import bad_request


def query_flag(value: str | None) -> bool:
    """A boolean query parameter as the real server reads it."""
    return value in ("true", "1", "True")


def query_int(query: dict[str, str], name: str) -> int | None:
    """Integer parameter ``name`` (None when absent or empty)."""
    text = query.get(name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise bad_request(f'invalid value for {name}: "{text}" is not an integer') from exc


def query_seconds(query: dict[str, str], name: str) -> float | None:
    """A finite number of seconds (None when absent or empty)."""
    text = query.get(name)
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):
        raise bad_request(f'invalid value for {name}: "{text}" is not a number of seconds')
    return seconds
