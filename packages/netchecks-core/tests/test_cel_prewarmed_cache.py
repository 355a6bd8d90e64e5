"""The parser cache (written at image build time, used from a read-only filesystem) and
the syntax trees of expressions compiled by earlier runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from celpy.celparser import CELParser
from netchecks_core import cel


def test_a_prewarmed_cache_file_is_used_where_the_directory_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECKS_CACHE_DIR", str(tmp_path))
    path = cel._cache_file()
    assert path is not None
    Path(path).write_bytes(b"tables")
    real_access = os.access

    def read_only(target: Any, mode: int) -> bool:  # a read-only root filesystem
        return False if mode & os.W_OK else real_access(target, mode)

    monkeypatch.setattr(os, "access", read_only)
    assert cel._cache_file() == path


def test_without_a_cache_file_an_unwritable_directory_gives_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECKS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(os, "access", lambda _target, mode: not mode & os.W_OK)
    assert cel._cache_file() is None


@pytest.fixture
def fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As a new process would start: nothing compiled, no parser, this cache directory."""
    monkeypatch.setenv("NETCHECKS_CACHE_DIR", str(tmp_path))
    _restart(monkeypatch)
    return tmp_path


def _restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process compiled (restored after the test)."""
    monkeypatch.setattr(cel, "_PROGRAMS", {})
    monkeypatch.setattr(cel, "_ENVIRONMENT", None)
    monkeypatch.setattr(CELParser, "CEL_PARSER", None)


def _parser_built() -> bool:
    parser = CELParser.CEL_PARSER
    return parser is not None and getattr(parser, "_parser", True) is not None


EXPRESSION = "parse_json(data.body).status == 'ok' && size(data['A']) >= 1"
VARIABLES = {"data": {"body": '{"status": "ok"}', "A": ["10.0.0.1"]}}


def test_a_later_run_compiles_a_known_expression_without_building_the_parser(
    fresh_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cel.compile_expression(EXPRESSION)
    assert _parser_built()
    _restart(monkeypatch)

    again = cel.compile_expression(EXPRESSION)

    assert not _parser_built()
    assert again.evaluate(VARIABLES) is first.evaluate(VARIABLES) is True
    assert again.free_names() == first.free_names() == {"data"}
    assert again.functions() == first.functions()
    assert again.keys_read("data") == first.keys_read("data")


def test_invalid_expressions_and_damaged_cache_files_are_parsed_again(
    fresh_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(cel.CelSyntaxError):
        cel.compile_expression("data.x ==")
    cel.compile_expression(EXPRESSION)
    trees = list((fresh_process / "cel-trees").iterdir())
    assert len(trees) == 1  # the valid one only
    trees[0].write_bytes(b"not a pickle")
    _restart(monkeypatch)

    assert cel.compile_expression(EXPRESSION).evaluate(VARIABLES) is True
    assert _parser_built()
    with pytest.raises(cel.CelSyntaxError):
        cel.compile_expression("data.x ==")
