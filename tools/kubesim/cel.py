"""CEL evaluation for ``x-kubernetes-validations`` and admission policies, behind one small
interface.

cel-python builds its parser per environment (~200 ms), so one environment is made
lazily and each distinct expression is compiled once. Besides standard CEL, expressions may
call what every Kubernetes version's CEL has and cel-python lacks: ``indexOf`` and
``lastIndexOf`` (the Kubernetes list library, and the extended strings library on strings)
and ``join`` (extended strings).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

_lock = threading.Lock()
_env: celpy.Environment | None = None
_programs: dict[str, Any] = {}


class CelError(Exception):
    """An expression that fails to compile or to evaluate."""


def _index_of(target: Any, item: Any) -> celtypes.IntType:
    if isinstance(target, str):
        return celtypes.IntType(target.find(item))
    return celtypes.IntType(next((i for i, v in enumerate(target) if v == item), -1))


def _last_index_of(target: Any, item: Any) -> celtypes.IntType:
    if isinstance(target, str):
        return celtypes.IntType(target.rfind(item))
    found = [i for i, v in enumerate(target) if v == item]
    return celtypes.IntType(found[-1] if found else -1)


def _join(items: Any, separator: Any = "") -> celtypes.StringType:
    return celtypes.StringType(str(separator).join(str(i) for i in items))


_FUNCTIONS: dict[str, Any] = {
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "join": _join,
}


def _program(expression: str) -> Any:
    global _env
    if expression not in _programs:
        if _env is None:
            _env = celpy.Environment()
        try:
            _programs[expression] = _env.program(_env.compile(expression), functions=_FUNCTIONS)
        except CELParseError as exc:
            raise CelError(f"compilation failed: {exc}") from exc
    return _programs[expression]


def check(expression: str) -> None:
    """Compile ``expression`` (the API server refuses objects whose CEL does not compile)."""
    with _lock:
        _program(expression)


def run(expression: str, activation: Mapping[str, Any]) -> Any:
    """The CEL value of ``expression``; ``activation`` values are CEL values (see :func:`value`)."""
    with _lock:
        program = _program(expression)
        try:
            result = program.evaluate(dict(activation))
        except CELEvalError as exc:
            raise CelError(str(exc.args[0] if exc.args else exc)) from exc
        if isinstance(result, CELEvalError):
            raise CelError(str(result.args[0] if result.args else result))
        return result


def value(data: Any) -> Any:
    """JSON data as a CEL value."""
    return json_to_cel(data)


def mapping(values: Mapping[str, Any]) -> Any:
    """A CEL map of CEL values (such as the evaluated ``variables``)."""
    return celtypes.MapType({celtypes.StringType(k): v for k, v in values.items()})


def is_true(result: Any) -> bool:
    """The CEL value ``true`` (not merely a truthy value)."""
    return isinstance(result, celtypes.BoolType) and bool(result)


def evaluate(rule: str, self_value: Any, old_value: Any = None, has_old: bool = False) -> bool:
    """Evaluate a rule with ``self`` (and ``oldSelf`` for transition rules)."""
    activation = {"self": json_to_cel(self_value)}
    if has_old:
        activation["oldSelf"] = json_to_cel(old_value)
    return bool(run(rule, activation))


def is_transition_rule(rule: str) -> bool:
    return "oldSelf" in rule
