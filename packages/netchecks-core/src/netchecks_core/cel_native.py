"""Plain-Python forms of the few CEL expressions nearly every rule uses.

The probe's default rules (``true``; an http rule's status code in 200/201; a tcp rule
connected without error; a dns rule answered with an address within 10 s) are judged
on every run of most rules. Walking their syntax tree with cel-python costs far more
than the check's own work, so :meth:`netchecks_core.cel.Program.evaluate` first asks
the form here. A form answers
only for the exact shape of input it was written for, where its value is the one
cel-python gives; for anything else (a missing key, another type) it declines
(:class:`NotNativeError`) and cel-python evaluates the expression, errors and all.

Each form also knows what the validator asks of a compiled expression (the names it
uses, the functions it calls, the keys it reads from ``data``): a run whose rules use
only these expressions never imports cel-python at all (a third of a short run's CPU).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: A native form: the expression's value for these variables, or :class:`NotNativeError`.
NativeForm = Callable[[Mapping[str, Any]], Any]


class NotNativeError(Exception):
    """The variables are not of the shape the native form covers: ask cel-python."""


def _true(variables: Mapping[str, Any]) -> Any:
    return True


def _data(variables: Mapping[str, Any]) -> dict[str, Any]:
    data = variables.get("data")
    if type(data) is not dict:  # a lazy directory or anything else: cel-python's job
        raise NotNativeError
    return data


def _status_code_in_200_201(variables: Mapping[str, Any]) -> Any:
    code = _data(variables).get("status-code")
    if type(code) is not int:  # missing, null or a bool: an error cel-python words
        raise NotNativeError
    return code in (200, 201)


def _connected_without_error(variables: Mapping[str, Any]) -> Any:
    data = _data(variables)
    connected, error = data.get("connected"), data.get("error", ...)
    if type(connected) is not bool or not (error is None or type(error) is str):
        raise NotNativeError
    return connected and error is None


#: The timestamps the probe writes (``datetime.isoformat`` of an aware time): RFC 3339.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?[+-]\d{2}:\d{2}", re.ASCII)
_TEN_SECONDS = datetime.timedelta(seconds=10)


def _timestamp(value: Any) -> datetime.datetime:
    if type(value) is not str or not _TIMESTAMP.fullmatch(value):
        raise NotNativeError
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:  # e.g. month 13: an error cel-python words
        raise NotNativeError from None


def _dns_answered_within_10s(variables: Mapping[str, Any]) -> Any:
    # CEL's ``&&`` is false when any side is false, even if another is an error.
    data = _data(variables)
    code, addresses = data.get("response-code"), data.get("A")
    if type(code) is str and code != "NOERROR":
        return False
    if type(addresses) is list and not addresses:
        return False
    if type(code) is not str or type(addresses) is not list:
        raise NotNativeError
    start, end = data.get("startTimestamp"), data.get("endTimestamp")
    return _timestamp(end) - _timestamp(start) < _TEN_SECONDS


@dataclass(frozen=True)
class NativeProgram:
    """A native form with the facts :class:`netchecks_core.cel.Program` gives of its text."""

    expression: str
    form: NativeForm
    names: frozenset[str]
    data_keys: frozenset[str]
    called: frozenset[str] = frozenset()

    def free_names(self) -> set[str]:
        """Variables the expression refers to."""
        return set(self.names)

    def functions(self) -> set[str]:
        """Functions the expression calls (operators are not functions)."""
        return set(self.called)

    def keys_read(self, variable: str) -> set[str]:
        """Literal keys read from ``variable``."""
        return set(self.data_keys) if variable == "data" else set()


_PROGRAMS = {
    program.expression: program
    for program in (
        NativeProgram("true", _true, frozenset(), frozenset()),
        NativeProgram(
            "data['status-code'] in [200, 201]",
            _status_code_in_200_201,
            frozenset({"data"}),
            frozenset({"status-code"}),
        ),
        NativeProgram(
            "data.connected == true && data.error == null",
            _connected_without_error,
            frozenset({"data"}),
            frozenset({"connected", "error"}),
        ),
        NativeProgram(
            "data['response-code'] == 'NOERROR' && size(data['A']) >= 1 && "
            "(timestamp(data['endTimestamp']) - timestamp(data['startTimestamp']) "
            "< duration('10s'))",
            _dns_answered_within_10s,
            frozenset({"data"}),
            frozenset({"response-code", "A", "endTimestamp", "startTimestamp"}),
            frozenset({"size", "timestamp", "duration"}),
        ),
    )
}
#: Expression text (exactly) -> its native form.
NATIVE_FORMS: dict[str, NativeForm] = {text: p.form for text, p in _PROGRAMS.items()}


def native_program(expression: str) -> NativeProgram | None:
    """The native program of this exact text, if it has one."""
    return _PROGRAMS.get(expression)


def evaluate_native(expression: str, variables: Mapping[str, Any]) -> Any:
    """The value of ``expression`` by its native form (:class:`NotNativeError`: none applies)."""
    program = _PROGRAMS.get(expression)
    if program is None:
        raise NotNativeError
    return program.form(variables)
