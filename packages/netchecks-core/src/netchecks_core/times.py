"""API times (RFC 3339 in UTC with ``Z``), written and read one way everywhere."""

from __future__ import annotations

import datetime as dt


def rfc3339(moment: dt.datetime, *, micros: bool = False) -> str:
    """``moment`` as Kubernetes writes it: UTC, ``Z``; seconds, or microseconds with ``micros``."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micros else "%Y-%m-%dT%H:%M:%SZ")


def now_rfc3339(*, micros: bool = False) -> str:
    """The current time as :func:`rfc3339` writes it."""
    return rfc3339(dt.datetime.now(dt.UTC), micros=micros)


def parse_rfc3339(value: object) -> dt.datetime | None:
    """The moment an RFC 3339 text names (UTC when it names no zone), or None if it is none."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
