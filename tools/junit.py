"""Reading JUnit reports in tests the way CI systems do: with junitparser, not our code."""

from __future__ import annotations

from pathlib import Path

import junitparser


def junit_counts(report: Path) -> tuple[int, int, int]:
    """(tests, failures, errors) of a JUnit XML report, summed over its suites."""
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    return (
        sum(s.tests for s in suites),
        sum(s.failures for s in suites),
        sum(s.errors for s in suites),
    )
