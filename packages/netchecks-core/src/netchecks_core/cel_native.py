"""Plain-Python forms of the few CEL expressions nearly every rule uses.

The probe's default rules (``true``; an http rule's status code in 200/201; a tcp rule
connected without error) are judged on every run of most rules. Walking their syntax
tree with cel-python costs far more than the check's own work, so
:meth:`netchecks_core.cel.Program.evaluate` first asks the form here. A form answers
only for the exact shape of input it was written for, where its value is the one
cel-python gives; for anything else (a missing key, another type) it declines
(:class:`NotNativeError`) and cel-python evaluates the expression, errors and all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


#: Expression text (exactly) -> its native form.
NATIVE_FORMS: dict[str, NativeForm] = {
    "true": _true,
    "data['status-code'] in [200, 201]": _status_code_in_200_201,
    "data.connected == true && data.error == null": _connected_without_error,
}
