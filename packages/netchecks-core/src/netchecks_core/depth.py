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
from collections.abc import Iterable, Mapping
from typing import Any, Literal

#: Levels of nesting any walked value may have (far beyond real configs and reports).
MAX_DEPTH = 100
#: What replaces a container nested deeper than the limit.
TOO_DEEP = "… nested too deeply"


#: Where a walk is: None at the top, else (the parent's trail, key or index, parent is a map).
_Trail = tuple[Any, Any, bool] | None


def _path(trail: _Trail, top: str) -> str:
    steps: list[str] = []
    while trail is not None:
        trail, key, in_map = trail
        steps.append(f".{key}" if in_map else f"[{key}]")
    return top + "".join(reversed(steps))


def exceeded(
    value: Any, max_depth: int = MAX_DEPTH, max_nodes: int | None = None
) -> tuple[Literal["depth", "nodes"], _Trail] | None:
    """The first bound ``value`` exceeds, walking it iteratively, or None.

    ``("depth", trail)`` at the first container nested ``max_depth`` levels deep;
    ``("nodes", None)`` once more than ``max_nodes`` values were seen (each use of a
    shared part counts, so YAML aliases cost at most ``max_nodes`` steps).
    """
    stack: list[tuple[Any, int, _Trail]] = [(value, 0, None)]
    nodes = 0
    while stack:
        item, depth, trail = stack.pop()
        nodes += 1
        if max_nodes is not None and nodes > max_nodes:
            return "nodes", None
        children: Iterable[tuple[Any, Any]]
        if isinstance(item, Mapping):
            children, in_map = item.items(), True
        elif isinstance(item, list | tuple):
            children, in_map = enumerate(item), False
        else:
            continue
        if depth >= max_depth:
            return "depth", trail
        stack.extend((c, depth + 1, (trail, k, in_map)) for k, c in children)
    return None


def too_deep(value: Any, limit: int = MAX_DEPTH, path: str = "") -> str | None:
    """The path of the first container nested deeper than ``limit``, or None."""
    found = exceeded(value, limit)
    return None if found is None else (_path(found[1], path) or "(top)")


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
