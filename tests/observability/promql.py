"""Just enough PromQL reading for the tests: which metrics and label matchers an expression uses."""

from __future__ import annotations

import re

#: Words that are not metric names: operators, modifiers, aggregation clauses.
KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
     "bool", "offset"}
)  # fmt: skip

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)")


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, label names matched) of every selector with braces; metric may be ''."""
    return [
        (metric or "", {name for name, _op in _MATCHER.findall(body)})
        for metric, body in _SELECTOR.findall(expr)
    ]


def metric_names(expr: str) -> set[str]:
    """Every metric an expression reads (functions, keywords and label names left out)."""
    text = _SELECTOR.sub(lambda m: (m.group(1) or "") + " ", _blank_strings(expr))
    text = _GROUPING.sub(" ", _RANGE.sub(" ", text))
    names = set()
    for match in _WORD.finditer(text):
        word, is_call = match.group(0), match.group(1)
        before = text[: match.start()].rstrip()
        if is_call or word in KEYWORDS or before.endswith(("$", ".")) or word[0].isdigit():
            continue
        if re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def _blank_strings(expr: str) -> str:
    return _STRING.sub('""', expr)
