"""Writing results: the JSON document (pretty on a terminal, one line otherwise) or a table.

In a probe Pod the document must be the last line of stdout (the results
service takes the last line that parses), so nothing else is written to stdout
and the compact form has no inner line breaks.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
from collections.abc import Iterable
from typing import Any

COLUMNS = ("ASSERTION", "RULE", "TYPE", "STATUS", "REASON", "DURATION")


def to_json(document: Any, pretty: bool) -> str:
    """JSON text of a document; anything not JSON-native is written as text.

    Non-ASCII characters are written as they are when stdout takes UTF-8, else escaped.
    """
    ascii_only = (sys.stdout.encoding or "").lower().replace("-", "") != "utf8"
    if pretty:
        return json.dumps(document, indent=2, ensure_ascii=ascii_only, default=str)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=ascii_only, default=str)


def exit_now(code: int) -> None:
    """Flush what was written and end the process at once, with ``code``.

    Checks abandoned at their deadline (a hung resolver, a CEL evaluation at its
    budget) live on in threads; waiting for them (or for the interpreter's clean-up)
    would keep the Pod running long after its results were printed.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(code)


def table(rows: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """A readable summary: one line per (assertion name, result), then the counts."""
    rows = list(rows)
    lines = [list(COLUMNS)]
    for assertion, result in rows:
        status = str(result.get("status"))
        lines.append(
            [
                assertion,
                str(result.get("name") or "-"),
                str((result.get("spec") or {}).get("type") or "-"),
                status.upper(),
                _reason(result),
                _duration(result.get("data") or {}),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    return "\n".join([*text, "", summary_line(rows)])


def summary_line(rows: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """How many rules passed, failed and errored: ``2 pass, 1 fail, 0 error``."""
    counts = {"pass": 0, "fail": 0, "error": 0}
    for _, result in rows:
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items())


def _reason(result: dict[str, Any]) -> str:
    data = result.get("data") or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    if result.get("status") == "pass":
        return str(reason or "")
    text = str(reason or result.get("message") or "")
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


def duration_seconds(data: dict[str, Any]) -> float | None:
    """How long a check ran, from its result's timestamps (None when unknown)."""
    try:
        start = datetime.datetime.fromisoformat(str(data["startTimestamp"]))
        end = datetime.datetime.fromisoformat(str(data["endTimestamp"]))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def _duration(data: dict[str, Any]) -> str:
    seconds = duration_seconds(data)
    if seconds is None:
        return "-"
    milliseconds = seconds * 1000
    return f"{milliseconds:.0f} ms" if milliseconds < 10_000 else f"{milliseconds / 1000:.1f} s"
