"""Keeping secrets out of results.

Unless redaction is disabled, the fields of compat.md (``headers``, ``dsn``,
``password``, ``params``, ``connection``) in a result's ``spec`` and ``data``
become ``"REDACTED"``, and every value that came from a Secret-backed context is
replaced wherever it appears: in any string of the result (URLs, bodies,
exception texts), in keys and in the message. Common encodings of a secret
(URL-quoted, base64, JSON-escaped) are replaced too.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from netchecks_core.rules import REDACTED, REDACTED_FIELDS

#: Shorter secret values are not searched for: they would redact ordinary words.
MIN_SECRET_LENGTH = 4


class Redactor:
    """Redacts results; build one per run, after the contexts are loaded."""

    def __init__(self, enabled: bool = True, secrets: Iterable[str] = ()) -> None:
        self.enabled = enabled
        forms: set[str] = set()
        for secret in secrets if enabled else ():
            for value in {secret, secret.strip()}:
                if len(value) >= MIN_SECRET_LENGTH:
                    forms.update(_encodings(value))
        # Longest first, so a secret is replaced whole before any part of it.
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        """A string with every secret value replaced."""
        if self._pattern is None or not self.enabled:
            return value
        return self._pattern.sub(REDACTED, value)

    def value(self, value: Any) -> Any:
        """Any JSON-like value with secret values replaced in its strings and keys."""
        if self._pattern is None or not self.enabled:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def result(self, result: dict[str, Any]) -> dict[str, Any]:
        """A result (``name``, ``spec``, ``data``, ``status``, ``message``) made safe to publish."""
        if not self.enabled:
            return result
        redacted = dict(result)
        for part in ("spec", "data"):
            section = redacted.get(part)
            if isinstance(section, dict):
                redacted[part] = {
                    key: REDACTED if key in REDACTED_FIELDS else value
                    for key, value in section.items()
                }
        return {
            key: self.value(value) if key != "status" else value for key, value in redacted.items()
        }


def _encodings(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    forms.add(base64.b64encode(secret.encode()).decode("ascii"))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}
