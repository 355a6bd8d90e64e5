"""The CEL engine: plain Python results, custom functions, clear errors."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from netchecks_core import cel


def test_boolean_results_are_real_bools_not_ints() -> None:
    result = cel.evaluate("data['status-code'] in [200, 201]", {"data": {"status-code": 200}})
    assert result is True


def test_results_are_plain_python_values() -> None:
    result = cel.evaluate("{'a': [1, 2.5, 'x', true, null]}", {})
    assert result == {"a": [1, 2.5, "x", True, None]}
    assert type(result["a"][0]) is int
    assert type(result["a"][2]) is str


def test_timestamps_with_and_without_timezone_compare() -> None:
    expr = "timestamp(data.end) - timestamp(data.start) < duration('10s')"
    data = {"start": "2024-01-01T00:00:00+00:00", "end": "2024-01-01T00:00:02Z"}
    assert cel.evaluate(expr, {"data": data}) is True


def test_timestamp_result_is_an_aware_datetime() -> None:
    result = cel.evaluate("timestamp('2024-05-01T10:00:00Z')", {})
    assert result == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("parse_json(s).a", 1),
        ("parse_yaml('a: [1, 2]').a[1]", 2),
        ("b64encode('user:pass')", "dXNlcjpwYXNz"),
        ("b64decode('dXNlcjpwYXNz')", "user:pass"),
        ("b64decode(b64encode('héllo'))", "héllo"),
    ],
)
def test_custom_functions(expression: str, expected: object) -> None:
    assert cel.evaluate(expression, {"s": '{"a": 1}'}) == expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("parse_json('{')", "parse_json()"),
        ("parse_yaml('a: [')", "parse_yaml()"),
        ("b64decode('!!!')", "b64decode()"),
        ("b64encode(1)", "needs a string, got int"),
        ("data.missing == 1", "no such member in mapping: 'missing'"),
        ("data['status-code'] == 200", "no such key: 'status-code'"),
        ("1 + 'a'", "no matching overload"),
        ("nothere.x", "unknown name 'nothere'"),
        ("1 / 0", "divide by zero"),
    ],
)
def test_runtime_problems_raise_evaluation_errors_with_the_reason(
    expression: str, fragment: str
) -> None:
    with pytest.raises(cel.CelEvaluationError) as caught:
        cel.evaluate(expression, {"data": {"x": 1}})
    assert fragment in caught.value.message
    assert caught.value.expression == expression


def test_unknown_name_message_does_not_dump_the_variables() -> None:
    with pytest.raises(cel.CelEvaluationError) as caught:
        cel.evaluate("nothere", {"secret": {"token": "s3cr3t-value"}})
    assert "s3cr3t-value" not in str(caught.value)


@pytest.mark.parametrize("expression", ["1 ==", "data[", "a &&& b", "'open", "", "   "])
def test_invalid_syntax_raises_syntax_error_with_a_location(expression: str) -> None:
    with pytest.raises(cel.CelSyntaxError) as caught:
        cel.compile_expression(expression)
    assert "CEL" in caught.value.message


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(cel.CelSyntaxError) as caught:
        cel.compile_expression("data.x &&& true")
    assert caught.value.line == 1
    assert caught.value.column is not None
    assert "line 1, column" in caught.value.message


def test_each_distinct_expression_is_compiled_once() -> None:
    first = cel.compile_expression("size(data) > 0")
    assert cel.compile_expression("size(data) > 0") is first


def test_free_names_skip_macro_variables_and_type_names() -> None:
    names = cel.free_names("data.x == c.y && l.all(v, v > z) && type(1) == int && has(m.k)")
    assert names == {"data", "c", "l", "z", "m"}


class _CountingMapping(Mapping[str, str]):
    def __init__(self, values: dict[str, str]) -> None:
        self.values_ = values
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.reads.append(key)
        return self.values_[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values_)

    def __len__(self) -> int:
        return len(self.values_)


def test_non_dict_mappings_are_read_lazily() -> None:
    mapping = _CountingMapping({"a": "1", "big": "x" * 1000})
    assert cel.evaluate("c.a == '1' && 'big' in c && size(c) == 2", {"c": mapping}) is True
    assert mapping.reads == ["a"]


def test_evaluation_is_safe_from_many_threads() -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                assert cel.evaluate(
                    "data.n * 2 == expected", {"data": {"n": n + i}, "expected": 2 * (n + i)}
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []


@pytest.mark.e2e  # starts a process
def test_parser_tables_are_cached_on_disk_and_reused(tmp_path: Path) -> None:
    env = {**os.environ, "NETCHECKS_CACHE_DIR": str(tmp_path)}
    code = (
        "from netchecks_core import cel; "
        "print(cel.evaluate(\"true && !false && 'a' + 'b' == 'ab' && [1].all(x, x > 0)\", {}))"
    )
    for _ in range(2):  # the first run writes the cache, the second loads it
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "True", done.stderr
    assert len(list(tmp_path.glob("cel-parser-*.cache"))) == 1


@pytest.mark.e2e  # starts a process
def test_an_unwritable_cache_directory_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {**os.environ, "NETCHECKS_CACHE_DIR": str(blocker / "sub")}
    code = "from netchecks_core import cel; print(cel.evaluate('1 + 1', {}))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.stdout.strip(), done.stderr) == ("2", "")


def test_evaluations_of_one_program_share_nothing_but_its_functions() -> None:
    # Each program keeps one activation of its functions for every evaluation: the
    # variables (and what its macros bind) of one must never be seen by the next.
    program = cel.compile_expression("data.items.exists(x, x == data.want) && size(data.items) > 0")

    assert program.evaluate({"data": {"items": [1, 2], "want": 2}}) is True
    assert program.evaluate({"data": {"items": [3], "want": 2}}) is False
    with pytest.raises(cel.CelEvaluationError, match="want"):
        program.evaluate({"data": {"items": [2]}})
    context = cel.compile_expression("ctx.v == 1")
    assert context.evaluate({"data": {}, "ctx": {"v": 1}}) is True
    with pytest.raises(cel.CelEvaluationError):
        context.evaluate({"data": {}})  # no ctx this time
