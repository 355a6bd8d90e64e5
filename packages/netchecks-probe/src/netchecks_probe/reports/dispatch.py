"""Which report the CLI writes: ``-o`` on stdout, ``--junit-xml`` to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netchecks_probe.errors import InputError
from netchecks_probe.output import table
from netchecks_probe.reports.github import append_step_summary, workflow_commands
from netchecks_probe.reports.junit import junit_xml


def render(output: str, rows: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The text of a CI report format, or None for the CLI's own formats."""
    if output == "junit":
        return junit_xml(rows)
    if output == "table":
        return table(rows)
    if output == "github":
        append_step_summary(rows)
        return workflow_commands(rows)
    return None


def write_junit_file(path: str | None, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Write the JUnit report to ``path`` when ``--junit-xml`` was given."""
    if not path:
        return
    try:
        Path(path).write_text(junit_xml(rows) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"--junit-xml {path}: {error.strerror or error}") from None
