"""JUnit XML: one ``testsuite`` per assertion, one ``testcase`` per rule.

A ``fail`` verdict is a ``failure``; a rule that could not be judged is an
``error`` (never a pass), so CI systems count it apart from real failures.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from netchecks_probe.locations import Location
from netchecks_probe.output import duration_seconds

Located = tuple[dict[str, Any], Location | None]


def junit_xml(
    rows: Sequence[tuple[str, dict[str, Any]]], places: Sequence[Location | None] = ()
) -> str:
    """The JUnit XML document of (assertion name, rule result) rows, in order.

    ``places``: each row's rule location, written as the testcase's ``file`` and ``line``.
    """
    suites: dict[str, list[Located]] = {}
    for index, (assertion, result) in enumerate(rows):
        place = places[index] if index < len(places) else None
        suites.setdefault(assertion, []).append((result, place))
    root = ET.Element("testsuites", name="netchecks")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for name, results in suites.items():
        suite = _suite(name, results)
        root.append(suite)
        for key in ("tests", "failures", "errors"):
            totals[key] += int(suite.get(key, "0"))
        totals["time"] += float(suite.get("time", "0"))
    for key, value in totals.items():
        root.set(key, f"{value:.3f}" if key == "time" else str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _suite(name: str, results: list[Located]) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    counts = {"fail": 0, "error": 0}
    total = 0.0
    for index, (result, place) in enumerate(results):
        seconds = _seconds(result.get("data") or {})
        total += seconds
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
        suite.append(_case(name, index, result, seconds, place))
    suite.set("tests", str(len(results)))
    suite.set("failures", str(counts["fail"]))
    suite.set("errors", str(len(results) - counts.get("pass", 0) - counts["fail"]))
    suite.set("skipped", "0")
    suite.set("time", f"{total:.3f}")
    return suite


def _case(
    assertion: str, index: int, result: dict[str, Any], seconds: float, place: Location | None
) -> ET.Element:
    rule_type = str((result.get("spec") or {}).get("type") or "rule")
    case = ET.Element(
        "testcase",
        name=str(result.get("name") or f"rule {index + 1}"),
        classname=f"{assertion}.{rule_type}",
        time=f"{seconds:.3f}",
    )
    if place is not None:
        case.set("file", place.file)
        if place.line is not None:
            case.set("line", str(place.line))
    status = result.get("status")
    if status == "pass":
        return case
    tag = "failure" if status == "fail" else "error"
    message = failure_message(result)
    detail = ET.SubElement(case, tag, message=message, type=str(status))
    detail.text = message
    return case


def failure_message(result: dict[str, Any]) -> str:
    """The message and reason of a rule that did not pass."""
    data = result.get("data") or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    parts = [str(part) for part in (result.get("message"), reason) if part]
    return " | ".join(parts) or f"rule {result.get('status')}"


def _seconds(data: dict[str, Any]) -> float:
    return max(duration_seconds(data) or 0.0, 0.0)
