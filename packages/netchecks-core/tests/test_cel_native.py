"""The native forms of common expressions give exactly what cel-python gives, or decline."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from netchecks_core import cel
from netchecks_core.cel_native import NATIVE_FORMS, NotNativeError, native_program

#: Values a data field may hold (and "missing"), in every combination below.
VALUES: list[Any] = [..., None, True, False, 0, 200, 201, 404, 200.0, "200", "", "boom", [], {}]


def _by_celpy(expression: str, variables: dict[str, Any]) -> tuple[str, Any]:
    # Another text of the same expression: not in the table, so cel-python evaluates it.
    try:
        return "value", cel.compile_expression(f" {expression}").evaluate(variables)
    except cel.CelEvaluationError as error:
        return "error", error.message


#: (startTimestamp, endTimestamp) pairs a dns rule's data may hold ("missing": ...).
TIMESTAMPS: list[tuple[Any, Any]] = [
    (..., ...),
    (None, "2026-12-06T01:00:00+00:00"),
    ("2026-12-06T01:00:00.123456+00:00", "2026-12-06T01:00:00.323456+00:00"),
    ("2026-12-06T01:00:00+00:00", "2026-12-06T01:00:20+00:00"),
    ("2026-12-06T01:00:00+00:00", "2026-12-06T01:00:10+00:00"),
    ("2026-12-06T01:00:09.999999+00:00", "2026-12-06T01:00:00+02:00"),
    ("2026-12-06T01:00:05+00:00", "2026-12-06T01:00:00+00:00"),
    ("2026-12-06T01:00:00Z", "2026-12-06T01:00:01Z"),
    ("2026-13-06T01:00:00+00:00", "2026-12-06T01:00:01+00:00"),
    ("2026-12-06T01:00:00+00:00", "yesterday"),
    ("2026-12-06T01:00:00+00:00", 5),
]


def _dns_inputs() -> list[dict[str, Any]]:
    codes: list[Any] = [..., None, "NOERROR", "NXDOMAIN", 0, True]
    addresses: list[Any] = [..., None, [], ["10.0.0.1"], ["a", "b"], "10.0.0.1", {}]
    datas = []
    for code, found, (start, end) in itertools.product(codes, addresses, TIMESTAMPS):
        values = {"response-code": code, "A": found, "startTimestamp": start, "endTimestamp": end}
        datas.append({key: value for key, value in values.items() if value is not ...})
    return datas


def _inputs() -> list[dict[str, Any]]:
    keys = ("status-code", "connected", "error")
    datas = [
        {key: value for key, value in zip(keys, combo, strict=True) if value is not ...}
        for combo in itertools.product(VALUES, repeat=len(keys))
    ]
    datas += _dns_inputs()
    return [{"data": data} for data in datas] + [{}, {"data": None}, {"data": [1]}]


@pytest.mark.parametrize("expression", sorted(NATIVE_FORMS))
def test_native_form_agrees_with_celpy_wherever_it_answers(expression: str) -> None:
    answered = 0
    for variables in _inputs():
        try:
            native = NATIVE_FORMS[expression](variables)
        except NotNativeError:
            continue
        answered += 1
        assert ("value", native) == _by_celpy(expression, variables), variables
        assert type(native) is bool
    assert answered > 0


@pytest.mark.parametrize("expression", sorted(NATIVE_FORMS))
def test_every_input_gets_celpys_answer_through_the_public_api(expression: str) -> None:
    for variables in _inputs()[::7]:
        try:
            outcome: tuple[str, Any] = ("value", cel.evaluate(expression, variables))
        except cel.CelEvaluationError as error:
            outcome = ("error", error.message)
        assert outcome == _by_celpy(expression, variables), variables


def test_native_forms_are_valid_cel() -> None:
    for expression in NATIVE_FORMS:
        assert cel.compile_expression(expression).expression == expression


@pytest.mark.parametrize("expression", sorted(NATIVE_FORMS))
def test_native_program_knows_what_the_compiled_expression_says(expression: str) -> None:
    native = native_program(expression)
    compiled = cel.compile_expression(f" {expression}")  # parsed by cel-python
    assert native is not None
    assert native.free_names() == compiled.free_names()
    assert native.functions() == compiled.functions()
    for variable in ("data", "spec"):
        assert native.keys_read(variable) == compiled.keys_read(variable)
