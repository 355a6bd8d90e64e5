"""The Kubernetes JSONPath subset used by CRD printer columns (client-go util/jsonpath).

Supported: ``.field``, ``['field']``, ``[n]`` (negative too), ``[*]``, ``[a:b]``,
``..field`` (recursive descent) and filters ``[?(@.path)]`` and
``[?(@.path OP literal)]`` with ``== != < > <= >=``. Missing keys give no result
(``AllowMissingKeys``), which a printer column shows as ``<none>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_TOKEN = re.compile(
    r"""
    \.\.(?P<descend>[A-Za-z0-9_\-$]+|\*)     # ..field
    | \.(?P<field>[A-Za-z0-9_\-$]+|\*)      # .field
    | \[\?\((?P<filter>.*?)\)\]             # [?(@.x == "y")]
    | \[(?P<bracket>[^\]]*)\]               # [0] [*] ['x'] [1:3]
    """,
    re.VERBOSE,
)
_FILTER = re.compile(r"^\s*@(?P<path>[^\s=!<>]*)\s*(?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<lit>.+?))?\s*$")


class JsonPathError(ValueError):
    """The expression is not one the API server accepts."""


def parse(expression: str) -> list[tuple[str, str]]:
    """Split a path such as ``.status.conditions[?(@.type=="Ready")].status`` into steps."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text.startswith("$"):
        text = text[1:]
    steps: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise JsonPathError(f"unrecognized JSONPath {expression!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        steps.append((kind, match.group(kind)))
        pos = match.end()
    return steps


def find(expression: str, data: Any) -> list[Any]:
    """Every value the path selects, in document order."""
    nodes = [data]
    for kind, arg in parse(expression):
        nodes = [out for node in nodes for out in _step(kind, arg, node)]
    return nodes


def _step(kind: str, arg: str, node: Any) -> Iterator[Any]:
    if kind == "field":
        yield from _children(node) if arg == "*" else _key(node, arg)
    elif kind == "descend":
        for inner in _walk(node):
            yield from _children(inner) if arg == "*" else _key(inner, arg)
    elif kind == "filter":
        yield from (item for item in _children(node) if _keep(arg, item))
    else:
        yield from _bracket(arg.strip(), node)


def _key(node: Any, key: str) -> Iterator[Any]:
    if isinstance(node, dict) and key in node:
        yield node[key]


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        yield from node
    elif isinstance(node, dict):
        yield from node.values()


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        if isinstance(child, dict | list):
            yield from _walk(child)


def _bracket(arg: str, node: Any) -> Iterator[Any]:
    if arg == "*":
        yield from _children(node)
    elif arg[:1] in ("'", '"'):
        for key in arg.split(","):
            yield from _key(node, key.strip().strip("'\""))
    elif ":" in arg and isinstance(node, list):
        start, _, end = arg.partition(":")
        yield from node[int(start) if start else None : int(end) if end else None]
    elif isinstance(node, list):
        try:
            index = int(arg)
        except ValueError as exc:
            raise JsonPathError(f"invalid array index {arg!r}") from exc
        if -len(node) <= index < len(node):
            yield node[index]


def _literal(text: str) -> Any:
    text = text.strip()
    if text[:1] in ("'", '"') and text[-1:] == text[:1]:
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError as exc:
        raise JsonPathError(f"invalid filter literal {text!r}") from exc


def _keep(condition: str, item: Any) -> bool:
    match = _FILTER.match(condition)
    if match is None:
        raise JsonPathError(f"unsupported filter {condition!r}")
    found = find(match.group("path") or "", item) if match.group("path") else [item]
    if match.group("op") is None:
        return bool(found)
    if not found:
        return False
    left, right, op = found[0], _literal(match.group("lit")), match.group("op")
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    try:
        return bool(
            {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
        )
    except TypeError:
        return False
