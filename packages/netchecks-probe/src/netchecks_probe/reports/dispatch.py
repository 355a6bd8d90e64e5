"""Which report the CLI writes: ``-o`` on stdout, ``--junit-xml`` to a file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netchecks_probe.errors import InputError
from netchecks_probe.locations import Location
from netchecks_probe.output import table
from netchecks_probe.reports.github import append_step_summary, workflow_commands
from netchecks_probe.reports.junit import junit_xml

Row = tuple[str, dict[str, Any]]
#: The file and line of each row's rule (None: not known, such as stdin).
Places = Sequence[Location | None]


def rows_of(
    document: dict[str, Any],
    locations: Mapping[tuple[int, int], Location],
    labels: Mapping[int, str],
) -> tuple[list[Row], list[Location | None]]:
    """The (assertion, result) rows of an output document and each rule's location.

    An assertion is named by its label when it has one (a NetworkAssertion's rules).
    """
    rows: list[Row] = []
    places: list[Location | None] = []
    for a_index, assertion in enumerate(document["assertions"]):
        name = labels.get(a_index, assertion["name"])
        for r_index, result in enumerate(assertion["results"]):
            rows.append((name, result))
            places.append(locations.get((a_index, r_index)))
    return rows, places


def render(output: str, rows: list[Row], places: Places = ()) -> str | None:
    """The text of a CI report format, or None for the CLI's own formats."""
    if output == "junit":
        return junit_xml(rows, places)
    if output == "table":
        return table(rows)
    if output == "github":
        append_step_summary(rows)
        return workflow_commands(rows, places)
    return None


def write_junit_file(path: str | None, rows: list[Row], places: Places = ()) -> None:
    """Write the JUnit report to ``path`` when ``--junit-xml`` was given."""
    if not path:
        return
    try:
        Path(path).write_text(junit_xml(rows, places) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"--junit-xml {path}: {error.strerror or error}") from None
