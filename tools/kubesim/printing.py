"""The pieces of server-side printing: column definitions, ages, selector formatting.

Used by :mod:`printers` (built-in kinds) and :mod:`crdcolumns` (custom resources).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import parse_time
from .schemas import kind_schema, resolve

Obj = dict[str, Any]
Cells = list[Any]
RowPrinter = Callable[[Obj, datetime], Cells]


@dataclass(frozen=True)
class Column:
    """A TableColumnDefinition (all five fields are always serialised)."""

    name: str
    type: str = "string"
    priority: int = 0
    format: str = ""
    description: str = ""

    def definition(self) -> Obj:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    cells: RowPrinter
    #: Row conditions (``Completed`` for finished pods), if the kind has any.
    conditions: Callable[[Obj], list[Obj]] | None = None


# -- time ------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: the short ages kubectl shows."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """translateTimestampSince: the age of a timestamp, ``<unknown>`` when unset."""
    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        return human_duration((now - parse_time(timestamp)).total_seconds())
    except ValueError:
        return "<unknown>"


def age(obj: Obj, now: datetime) -> str:
    return since(meta(obj).get("creationTimestamp"), now)


# -- helpers ---------------------------------------------------------------------------


def meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def containers_cells(pod_spec: Any) -> Cells:
    containers = [c for c in as_list(get(pod_spec, "containers")) if isinstance(c, dict)]
    return [
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]


def format_label_selector(selector: Any) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key, ``<none>`` when empty."""
    if not isinstance(selector, dict):
        return "<none>"
    parts: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        parts.append((key, f"{key}={value}"))
    for expr in as_list(selector.get("matchExpressions")):
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(str(v) for v in as_list(expr.get("values"))))
        text = {
            "In": f"{key} in ({values})",
            "NotIn": f"{key} notin ({values})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, f"{key} {op}")
        parts.append((key, text))
    return ",".join(text for _, text in sorted(parts)) or "<none>"


def format_labels(labels: Any) -> str:
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def doc(api_version: str, kind: str, path: str) -> str:
    """The description of a field in the real OpenAPI schema ('' if unknown)."""
    node = resolve(kind_schema(api_version, kind))
    description = ""
    for key in path.split("."):
        child = (node.get("properties") or {}).get(key)
        if not isinstance(child, dict):
            return ""
        description = str(child.get("description", ""))
        node = resolve(child)
        description = description or str(node.get("description", ""))
    return description


def name_column() -> Column:
    return Column("Name", format="name", description=doc("v1", "Pod", "metadata.name"))


def age_column() -> Column:
    return Column("Age", description=doc("v1", "Pod", "metadata.creationTimestamp"))


def wide_template_columns(api_version: str, kind: str, selector: str) -> tuple[Column, ...]:
    return (
        Column("Containers", priority=1, description="Names of each container in the template."),
        Column(
            "Images", priority=1, description="Images referenced by each container in the template."
        ),
        Column("Selector", priority=1, description=doc(api_version, kind, selector)),
    )


def simple(columns: tuple[Column, ...], middle: Any) -> Printer:
    """NAME, the kind's own cells, AGE."""

    def cells(obj: Obj, now: datetime) -> Cells:
        return [meta(obj).get("name", ""), *middle(obj), age(obj, now)]

    return Printer((name_column(), *columns, age_column()), cells)


def created_at(obj: Obj, now: datetime) -> Cells:
    """The default convertor's cells (also printRole/printClusterRole): NAME, CREATED AT."""
    return [meta(obj).get("name", ""), meta(obj).get("creationTimestamp") or "0001-01-01T00:00:00Z"]


DEFAULT = Printer(
    (
        name_column(),
        Column("Created At", "date", description=doc("v1", "Pod", "metadata.creationTimestamp")),
    ),
    created_at,
)
