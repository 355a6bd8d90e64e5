"""Rendering ``{{ expr }}`` templates in config values with the CEL engine.

A string that is one whole template keeps the type of its value
(``"port": "{{ c.port }}"`` can give a number); templates inside a longer string
are replaced by text (``true``, ``null``, JSON for lists and maps, never Python
reprs). Dict keys are rendered too, always as text. A template that fails is a
:class:`TemplateError` naming where it is and why, never literal text.

Each template is evaluated within CEL's own budget (see :mod:`netchecks_core.cel`),
and one :func:`render` call (a rule, a context) within :data:`MAX_RENDER_SECONDS`
in all, so a value full of expensive templates is bounded too; no text it renders
grows past ``cel.MAX_VALUE_SIZE``.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from netchecks_core import cel
from netchecks_core.errors import NetchecksError, key_path
from netchecks_core.templates import TEMPLATE_RE, has_template, whole_template

__all__ = [
    "MAX_RENDER_SECONDS",
    "TemplateError",
    "json_value",
    "render",
    "template_text",
]

#: Wall-clock seconds all the templates of one rendered value (a rule) may take together.
MAX_RENDER_SECONDS = 3.0


class TemplateError(NetchecksError, ValueError):
    """A template could not be rendered; ``where`` is the path of the value holding it."""

    def __init__(self, where: str, expression: str, reason: str) -> None:
        super().__init__(f"{where or 'value'}: template '{{{{ {expression} }}}}' {reason}")
        self.where = where
        self.expression = expression
        self.reason = reason


def render(value: Any, variables: Mapping[str, Any], where: str = "") -> Any:
    """A copy of ``value`` with every template in its strings (and keys) evaluated."""
    return _Renderer(variables, time.monotonic() + MAX_RENDER_SECONDS).render(value, where)


class _Renderer:
    """One render call: the variables and the time its templates have left."""

    def __init__(self, variables: Mapping[str, Any], until: float) -> None:
        self.variables = variables
        self.until = until

    def render(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self._string(value, where)
        if isinstance(value, dict):
            rendered: dict[Any, Any] = {}
            for key, item in value.items():
                path = key_path(where, key)
                new_key = self._text(key, path) if has_template(key) else key
                rendered[new_key] = self.render(item, path)
            return rendered
        if isinstance(value, list):
            return [self.render(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return value

    def _string(self, value: str, where: str) -> Any:
        if not has_template(value):
            return value
        expression = whole_template(value)
        if expression is not None:
            return json_value(self._evaluate(expression, where))
        return self._text(value, where)

    def _text(self, value: str, where: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            return template_text(self._evaluate(match.group(1).strip(), where))

        text = TEMPLATE_RE.sub(substitute, value)
        if len(text) > cel.MAX_VALUE_SIZE:
            reason = f"renders text longer than {cel.MAX_VALUE_SIZE} characters"
            raise TemplateError(where, value[:60], reason)
        return text

    def _evaluate(self, expression: str, where: str) -> Any:
        seconds = min(cel.MAX_SECONDS, self.until - time.monotonic())
        if seconds <= 0:
            reason = f"not evaluated: the value's templates took over {MAX_RENDER_SECONDS:g} s"
            raise TemplateError(where, expression, reason)
        try:
            return cel.compile_expression(expression).evaluate(self.variables, seconds=seconds)
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
