"""Where each rule stands in its file: the line CI reports point at.

Lines come from the marks of the composed YAML nodes (the same pass that
parses the document; JSON text is composed by the same YAML parser only when
a report asks for lines). Marks count over the whole file, so a rule of the
second document of a multi-document file gets its line in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: A rule's key in its document: ``(i,)`` for ``spec.rules[i]`` of a manifest,
#: ``(i, j)`` for ``assertions[i].rules[j]`` of a probe config.
RuleKey = tuple[int, ...]


@dataclass(frozen=True)
class Location:
    """A rule's file (as CI tools want it: relative to the working directory when
    inside it) and its 1-based line, when known."""

    file: str
    line: int | None = None


def report_path(source: str) -> str:
    """``source`` relative to the working directory when it lies inside it."""
    return _relative_to(source, os.getcwd())  # noqa: PTH109 - a str key, no Path made


@lru_cache(maxsize=256)
def _relative_to(source: str, cwd: str) -> str:
    # Cached: every rule of a file asks for the same path.
    path = Path(source)
    if not path.is_absolute():
        return source
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return source


def rule_lines(node: Any) -> dict[RuleKey, int]:
    """The 1-based line of every rule of a document's node (manifest or probe config)."""
    lines: dict[RuleKey, int] = {}
    for index, rule in enumerate(_items(_child(_child(node, "spec"), "rules"))):
        lines[(index,)] = rule.start_mark.line + 1
    for a_index, assertion in enumerate(_items(_child(node, "assertions"))):
        for r_index, rule in enumerate(_items(_child(assertion, "rules"))):
            lines[(a_index, r_index)] = rule.start_mark.line + 1
    return lines


def _child(node: Any, key: str) -> Any:
    """The value node of ``key`` in a mapping node (the last one, as the loader keeps)."""
    found = None
    if node is not None and node.id == "mapping":
        for key_node, value_node in node.value:
            if key_node.id == "scalar" and key_node.value == key:
                found = value_node
    return found


def _items(node: Any) -> list[Any]:
    return list(node.value) if node is not None and node.id == "sequence" else []


def locate(lines: Mapping[RuleKey, int], key: RuleKey, file: str | None) -> Location | None:
    """The location of the rule ``key`` of a document read from ``file`` (None: stdin)."""
    if file is None:
        return None
    return Location(report_path(file), lines.get(key))
