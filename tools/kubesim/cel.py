"""CEL evaluation for ``x-kubernetes-validations``, behind one small interface.

cel-python builds its parser per environment (~200 ms), so one environment is made
lazily and each distinct rule is compiled once.
"""

from __future__ import annotations

import threading
from typing import Any

import celpy
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

_lock = threading.Lock()
_env: celpy.Environment | None = None
_programs: dict[str, Any] = {}


class CelError(Exception):
    """A rule that fails to compile or to evaluate."""


def _program(rule: str) -> Any:
    global _env
    if rule not in _programs:
        if _env is None:
            _env = celpy.Environment()
        try:
            _programs[rule] = _env.program(_env.compile(rule))
        except CELParseError as exc:
            raise CelError(f"compilation failed: {exc}") from exc
    return _programs[rule]


def check(rule: str) -> None:
    """Compile ``rule`` (CRD admission rejects rules that do not compile)."""
    with _lock:
        _program(rule)


def evaluate(rule: str, self_value: Any, old_value: Any = None, has_old: bool = False) -> bool:
    """Evaluate a rule with ``self`` (and ``oldSelf`` for transition rules)."""
    with _lock:
        program = _program(rule)
        activation = {"self": json_to_cel(self_value)}
        if has_old:
            activation["oldSelf"] = json_to_cel(old_value)
        try:
            result = program.evaluate(activation)
        except CELEvalError as exc:
            raise CelError(str(exc.args[0] if exc.args else exc)) from exc
        if isinstance(result, CELEvalError):
            raise CelError(str(result.args[0] if result.args else result))
        return bool(result)


def is_transition_rule(rule: str) -> bool:
    return "oldSelf" in rule
