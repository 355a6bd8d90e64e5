"""Bounded walks: depth and non-finite numbers, at any depth, without recursion."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from netchecks_core.depth import MAX_DEPTH, TOO_DEEP, bounded, too_deep


def nested(depth: int, leaf: Any = 1) -> Any:
    """``{"k": [{"k": [... leaf]}]}`` ``depth`` containers deep, built without recursion."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("depth", [500, 1200, 100_000])
def test_too_deep_names_where_the_limit_is_crossed(depth: int) -> None:
    where = too_deep({"inline": nested(depth)}, MAX_DEPTH, "spec")
    assert where is not None and where.startswith("spec.inline")
    assert where.count("[") + where.count(".k") == MAX_DEPTH - 1


def test_data_within_the_limit_is_not_too_deep() -> None:
    assert too_deep(nested(MAX_DEPTH)) is None
    assert too_deep(nested(MAX_DEPTH + 1)) is not None


@pytest.mark.parametrize("depth", [500, 1200, 100_000])
def test_bounded_copy_replaces_what_is_too_deep_and_serialises(depth: int) -> None:
    value, cut = bounded({"body": nested(depth)})
    assert cut
    text = json.dumps(value, ensure_ascii=False)
    assert TOO_DEEP in text
    assert too_deep(value, MAX_DEPTH) is None


def test_bounded_copy_keeps_shallow_data_as_is() -> None:
    data = {"a": [1, 2.5, "x", None, True, {"b": []}], "c": {}}
    assert bounded(data) == (data, False)


def test_nan_and_infinity_become_strings_json_can_hold() -> None:
    value, cut = bounded({"a": [math.nan, math.inf, -math.inf, 1.5]})
    assert cut
    assert json.dumps(value, allow_nan=False) == '{"a": ["NaN", "Infinity", "-Infinity", 1.5]}'
