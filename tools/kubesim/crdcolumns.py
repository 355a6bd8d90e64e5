"""Table columns of custom resources: NAME plus the CRD version's additionalPrinterColumns.

As apiextensions-apiserver's tableconvertor does it: each column's JSONPath is evaluated
with missing keys allowed and only the first result is used; ``string`` columns print
the value (maps and lists as compact JSON), other types are converted to the column's
type or left empty (``<none>`` in kubectl); ``date`` columns show the age. A version
with no columns gets a single Age column (the API server's logical default).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from . import jsonpath
from .clock import parse_time
from .printing import Cells, Column, Obj, Printer, doc, human_duration, meta, name_column

_AGE = {
    "name": "Age",
    "type": "date",
    "jsonPath": ".metadata.creationTimestamp",
    "description": doc("v1", "Pod", "metadata.creationTimestamp"),
}


def crd_printer(crd_version: Obj | None) -> Printer:
    """The Printer for one served version of a CRD."""
    specs = [c for c in (crd_version or {}).get("additionalPrinterColumns") or [] if c]
    specs = specs or [_AGE]
    columns = [name_column()]
    for spec in specs:
        path = str(spec.get("jsonPath", ""))
        columns.append(
            Column(
                str(spec.get("name", "")),
                str(spec.get("type", "string")),
                int(spec.get("priority") or 0),
                str(spec.get("format") or ""),
                str(spec.get("description") or "")
                or f"Custom resource definition column (in JSONPath format): {path}",
            )
        )

    def cells(obj: Obj, now: datetime) -> Cells:
        out: Cells = [meta(obj).get("name", "")]
        for spec, column in zip(specs, columns[1:], strict=True):
            try:
                found = jsonpath.find(str(spec.get("jsonPath", "")), obj)
            except jsonpath.JsonPathError:
                found = []
            out.append(cell(column.type, found[0], now) if found else None)
        return out

    return Printer(tuple(columns), cells)


def cell(column_type: str, value: Any, now: datetime) -> Any:
    """cellForJSONValue, plus the printing of ``string`` columns."""
    if value is None:
        return None
    if column_type == "string":
        return _text(value)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if column_type == "integer":
        return int(value) if is_number else None
    if column_type == "number":
        return float(value) if is_number else None
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if column_type == "date":
        return _date(value, now) if isinstance(value, str) else None
    return None


def _date(value: str, now: datetime) -> str:
    if value in ("", "null"):
        return "<unknown>"
    try:
        return human_duration((now - parse_time(value)).total_seconds())
    except ValueError:
        return "<invalid>"


def _text(value: Any) -> str:
    """How JSONPath's PrintResults writes one value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)
