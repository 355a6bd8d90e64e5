"""Rendering ``{{ expr }}`` templates in config values with the CEL engine.

A string that is one whole template keeps the type of its value
(``"port": "{{ c.port }}"`` can give a number); templates inside a longer string
are replaced by text (``true``, ``null``, JSON for lists and maps, never Python
reprs). Dict keys are rendered too, always as text. A template that fails is a
:class:`TemplateError` naming where it is and why, never literal text.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from netchecks_core import cel
from netchecks_core.errors import key_path
from netchecks_core.templates import TEMPLATE_RE, has_template, whole_template

__all__ = ["TemplateError", "json_value", "render", "template_text"]


class TemplateError(ValueError):
    """A template could not be rendered; ``where`` is the path of the value holding it."""

    def __init__(self, where: str, expression: str, reason: str) -> None:
        super().__init__(f"{where or 'value'}: template '{{{{ {expression} }}}}' {reason}")
        self.where = where
        self.expression = expression
        self.reason = reason


def render(value: Any, variables: Mapping[str, Any], where: str = "") -> Any:
    """A copy of ``value`` with every template in its strings (and keys) evaluated."""
    if isinstance(value, str):
        return _render_string(value, variables, where)
    if isinstance(value, dict):
        rendered: dict[Any, Any] = {}
        for key, item in value.items():
            path = key_path(where, key)
            new_key = _render_text(key, variables, path) if has_template(key) else key
            rendered[new_key] = render(item, variables, path)
        return rendered
    if isinstance(value, list):
        return [render(item, variables, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _render_string(value: str, variables: Mapping[str, Any], where: str) -> Any:
    if not has_template(value):
        return value
    expression = whole_template(value)
    if expression is not None:
        return json_value(_evaluate(expression, variables, where))
    return _render_text(value, variables, where)


def _render_text(value: str, variables: Mapping[str, Any], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        return template_text(_evaluate(match.group(1).strip(), variables, where))

    return TEMPLATE_RE.sub(substitute, value)


def _evaluate(expression: str, variables: Mapping[str, Any], where: str) -> Any:
    try:
        return cel.evaluate(expression, variables)
    except cel.CelSyntaxError as error:
        raise TemplateError(where, expression, f"is not valid CEL: {error.message}") from None
    except cel.CelEvaluationError as error:
        raise TemplateError(where, expression, f"failed: {error.message}") from None


def template_text(value: Any) -> str:
    """How a value reads inside a longer string: JSON-ish, never a Python repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return str(json_value(value))
    if isinstance(value, datetime.datetime | datetime.timedelta):
        return str(json_value(value))
    return json.dumps(json_value(value), separators=(",", ":"), ensure_ascii=False)


def json_value(value: Any) -> Any:
    """Make a plain CEL result JSON-compatible (timestamps, durations and bytes as text)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(item) for item in value]
    return value
