"""Bounded walks of JSON-like data: nesting depth and non-finite numbers, without recursion.

Data from users and probes (inline contexts, response bodies) can nest as deep as
its author likes; a recursive walk, ``json.dumps`` included, then raises
``RecursionError`` and the work is retried forever. Everything here is iterative:

- :func:`too_deep` says where a value nests deeper than a limit (for validation);
- :func:`bounded` copies a value with anything deeper than the limit replaced by a
  marker, and NaN/Infinity (which JSON cannot hold) by strings, saying whether it
  changed anything.
"""

from __future__ import annotations

import math
from typing import Any

#: Levels of nesting any walked value may have (far beyond real configs and reports).
MAX_DEPTH = 100
#: What replaces a container nested deeper than the limit.
TOO_DEEP = "… nested too deeply"


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(f".{key}", item) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [(f"[{index}]", item) for index, item in enumerate(value)]
    return []


def too_deep(value: Any, limit: int = MAX_DEPTH, path: str = "") -> str | None:
    """The path of the first container nested deeper than ``limit``, or None."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if not isinstance(item, dict | list | tuple):
            continue
        if depth >= limit:
            return where or "(top)"
        stack.extend((child, where + step, depth + 1) for step, child in _children(item))
    return None


def _scalar(value: Any) -> tuple[Any, bool]:
    if isinstance(value, float) and not math.isfinite(value):
        return ("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")), True
    return value, False


def bounded(value: Any, limit: int = MAX_DEPTH) -> tuple[Any, bool]:
    """A copy of ``value`` that JSON can hold at any recursion limit, and whether it was cut.

    Containers deeper than ``limit`` become :data:`TOO_DEEP`; NaN and ±Infinity become
    the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
    """
    changed = False
    root: list[Any] = [None]
    # Each entry: (source value, the container to fill, its key or index, depth).
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        item, parent, key, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= limit:
                parent[key], changed = TOO_DEEP, True
                continue
            if isinstance(item, dict):
                copy: Any = {}
                for child_key, child in item.items():
                    copy[child_key] = None
                    stack.append((child, copy, child_key, depth + 1))
            else:
                copy = [None] * len(item)
                stack.extend((child, copy, index, depth + 1) for index, child in enumerate(item))
            parent[key] = copy
        else:
            parent[key], was_changed = _scalar(item)
            changed = changed or was_changed
    return root[0], changed
