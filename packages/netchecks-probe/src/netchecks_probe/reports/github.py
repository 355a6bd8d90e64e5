"""GitHub Actions workflow commands and a Markdown step summary.

Each rule that did not pass becomes an ``::error`` command (GitHub shows it as an
annotation); data and property values are escaped as the runner expects so a
message cannot end the command or inject another one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from netchecks_probe.locations import Location
from netchecks_probe.output import summary_line
from netchecks_probe.reports.junit import failure_message

Row = tuple[str, dict[str, Any]]


def escape_data(text: str) -> str:
    """Escape a command's message (``%``, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property's value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(rows: Sequence[Row], places: Sequence[Location | None] = ()) -> str:
    """One ``::error`` line per rule that failed or could not be judged, then a count line.

    ``places``: each row's rule location; GitHub shows the annotation at that line.
    """
    lines = []
    for index, (assertion, result) in enumerate(rows):
        status = str(result.get("status"))
        if status == "pass":
            continue
        title = f"{assertion}/{result.get('name') or 'rule'}: {status}"
        place = places[index] if index < len(places) else None
        properties = _where(place) + f"title={escape_property(title)}"
        lines.append(f"::error {properties}::{escape_data(failure_message(result))}")
    lines.append(summary_line(rows))
    return "\n".join(lines)


def _where(place: Location | None) -> str:
    if place is None:
        return ""
    line = f"line={place.line}," if place.line is not None else ""
    return f"file={escape_property(place.file)},{line}"


def markdown_summary(rows: Iterable[Row]) -> str:
    """A Markdown table of every rule's verdict for ``$GITHUB_STEP_SUMMARY``."""
    lines = ["### netchecks", "", "| Assertion | Rule | Status | Reason |", "|---|---|---|---|"]
    for assertion, result in rows:
        status = str(result.get("status"))
        reason = "" if status == "pass" else failure_message(result)
        cells = [assertion, str(result.get("name") or "-"), status.upper(), reason]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def append_step_summary(rows: list[Row]) -> None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when the runner set it."""
    if path := os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(path).open("a", encoding="utf-8") as summary:
            summary.write(markdown_summary(rows))
