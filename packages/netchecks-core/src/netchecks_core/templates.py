"""Finding ``{{ expr }}`` templates in strings (rendering lives with the CEL engine)."""

from __future__ import annotations

import re
from typing import Any

#: A template: ``{{`` CEL expression ``}}``, shortest match, spanning lines.
TEMPLATE_RE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def has_template(value: Any) -> bool:
    """Whether a string holds at least one template."""
    return isinstance(value, str) and TEMPLATE_RE.search(value) is not None


def whole_template(value: str) -> str | None:
    """The expression when the whole string is one template (its type is kept), else None."""
    match = TEMPLATE_RE.fullmatch(value.strip())
    if match is None or "}}" in match.group(1) or "{{" in match.group(1):
        return None
    return match.group(1).strip()


def expressions(value: str) -> list[str]:
    """Every template expression in a string, in order."""
    return [m.group(1).strip() for m in TEMPLATE_RE.finditer(value)]
