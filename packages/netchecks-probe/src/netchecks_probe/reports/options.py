"""The report options of the CLI (light: imported when the parser is built)."""

from __future__ import annotations

import argparse

FORMATS = ("json", "table", "junit", "github")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The report options: ``-o/--output`` and ``--junit-xml FILE`` (alongside ``-o``)."""
    parser.add_argument("-o", "--output", choices=FORMATS, default="json", help="result format")
    parser.add_argument(
        "--junit-xml",
        metavar="FILE",
        help="also write a JUnit XML report to FILE (for CI systems)",
    )
