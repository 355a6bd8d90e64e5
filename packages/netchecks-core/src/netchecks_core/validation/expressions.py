"""CEL rules and ``{{ templates }}``: each compiles and uses only what exists.

Nothing is evaluated. A CEL rule may use ``data``, ``spec``, ``name`` and the
contexts; a template only the contexts (defined before it, for inline
contexts). Every function called must exist, and every literal key a rule
reads from ``data`` must be one its check type sets (``data.status_code`` is
refused with a did-you-mean: the field is ``status-code``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from netchecks_core.cel_native import NativeProgram, native_program
from netchecks_core.data_fields import closest_field, known_fields
from netchecks_core.errors import key_path
from netchecks_core.templates import TEMPLATE_RE, has_template
from netchecks_core.validation.problems import Problem, did_you_mean

if TYPE_CHECKING:
    from netchecks_core import cel

#: Variables every CEL rule has besides the contexts.
RESULT_NAMES = frozenset({"data", "spec", "name"})


def cel_problems(
    expression: str, where: str, names: frozenset[str], check_type: str | None = None
) -> list[Problem]:
    """What is wrong with one CEL expression (``check_type``: also check its ``data`` keys)."""
    program: cel.Program | NativeProgram | None = native_program(expression)
    problems = []
    if program is None:
        from netchecks_core import cel  # the engine is imported only when there is CEL to check

        try:
            program = cel.compile_expression(expression)
        except cel.CelSyntaxError as error:
            return [Problem(where, error.message)]
        known_functions = cel.known_functions()
        for function in sorted(program.functions() - known_functions):
            hint = did_you_mean(function, known_functions)
            problems.append(Problem(where, f"unknown function {function!r}{hint}"))
    for unknown in sorted(program.free_names() - names):
        hint = did_you_mean(unknown, names) or f" (known: {', '.join(sorted(names)) or 'none'})"
        problems.append(Problem(where, f"unknown name {unknown!r}{hint}"))
    if check_type is not None and "data" in program.free_names():
        problems += _data_key_problems(program, where, check_type)
    return problems


def _data_key_problems(
    program: cel.Program | NativeProgram, where: str, check_type: str
) -> list[Problem]:
    fields = known_fields(check_type)
    if fields is None:
        return []
    problems = []
    for key in sorted(program.keys_read("data") - fields):
        closest = closest_field(check_type, key)
        hint = f" (did you mean {_reference(closest)}?)" if closest else ""
        problems.append(
            Problem(where, f"{_reference(key)} is not a field of {check_type} results{hint}")
        )
    return problems


def _reference(key: str) -> str:
    return f"data.{key}" if key.isidentifier() else f"data[{key!r}]"


def template_problems(value: Any, where: str, names: frozenset[str]) -> list[Problem]:
    """Every template in ``value`` (strings and keys, nested) that is not well formed."""
    problems = []
    for path, text in _strings(value, where):
        if "{{" in TEMPLATE_RE.sub("", text):
            problems.append(Problem(path, "unclosed '{{' (a template is '{{ expression }}')"))
        if not has_template(text):
            continue
        for match in TEMPLATE_RE.finditer(text):
            expression = match.group(1).strip()
            label = f"template '{{{{ {expression} }}}}'"
            problems += [
                Problem(p.path, f"{label}: {p.message}")
                for p in cel_problems(expression, path, names)
            ]
    return problems


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            path = key_path(where, key)
            if isinstance(key, str):
                yield path, key
            yield from _strings(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
