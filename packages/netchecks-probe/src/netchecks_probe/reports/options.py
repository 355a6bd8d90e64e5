"""The report options of the CLI (light: imported when the parser is built)."""

from __future__ import annotations

import argparse

FORMATS = ("json", "table", "junit", "github")
#: The formats that show where a rule stands (JSON configs are then located too).
LOCATED_FORMATS = frozenset({"junit", "github"})


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The report options: ``-o/--output`` and ``--junit-xml FILE`` (alongside ``-o``)."""
    parser.add_argument("-o", "--output", choices=FORMATS, default="json", help="result format")
    parser.add_argument(
        "--junit-xml",
        metavar="FILE",
        help="also write a JUnit XML report to FILE (for CI systems)",
    )


def wants_locations(output: str, junit_file: str | None) -> bool:
    """Whether the run's reports show rule locations."""
    return output in LOCATED_FORMATS or bool(junit_file)
