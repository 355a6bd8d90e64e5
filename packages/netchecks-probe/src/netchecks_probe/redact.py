"""Keeping secrets out of results and logs.

Unless redaction is disabled, the fields of compat.md (``headers``, ``dsn``,
``password``, ``params``, ``connection``) in a result's ``spec`` and ``data``
become ``"REDACTED"``, and every secret value is replaced wherever it appears: in
any string of the result (URLs, bodies, exception texts), in keys, in the message
and in the probe's own log lines.

A secret value is every scalar of a Secret-backed context, including those
derived from it (see :mod:`netchecks_probe.secrets`), of at least
:data:`MIN_SECRET_LENGTH` characters. Each is searched for in these forms:

- as is, JSON-escaped (ASCII or not), as Python's ``repr`` writes it, HTML-escaped;
- URL-quoted with every safe set clients use (``quote``, ``quote_plus``, the
  requoting of ``requests``), and any other percent-encoding: a token whose
  percent-decoding holds a secret is replaced whole;
- base64 (standard and URL-safe) of any text that contains it: the part of the
  encoding fixed by the secret alone, at each of the three alignments, and any
  base64-looking token whose decoding holds a secret;
- a secret's start left where a text was cut: at the end of a body cut by
  ``max-body-bytes`` (``body-truncated``), :data:`MIN_SECRET_LENGTH` characters or
  more; at the end of any other string or before a ``...``,
  :data:`MIN_CUT_PREFIX_LENGTH` or more (shorter ones would hit ordinary words).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from netchecks_core.runnable import REDACTED, REDACTED_FIELDS

from netchecks_probe.secrets import base64_decodings

#: Shorter secret values are not searched for: they would redact ordinary words.
MIN_SECRET_LENGTH = 4

#: A secret's start at the end of a string (not known to be cut) is redacted from this length.
MIN_CUT_PREFIX_LENGTH = 8
#: Shorter parts of a base64 encoding are not searched for as such (decoding finds them).
MIN_BASE64_CORE = 6
#: Characters each URL quoting keeps as is: none, paths, ``requests``' requoting, userinfo.
_URL_SAFE_SETS = ("", "/", "!#$%&'()*+,/:;=?@[]~", "!$&'()*+,;=:")
#: A word (between spaces and quotes) that may be percent-encoded; matched in linear time.
#: From this length, a text is searched form by form rather than with one regex.
_LONG_TEXT = 4096
#: Only words holding ``%`` or ``+``; the look-behind starts a match only where a word
#: starts, so a long run without either costs one pass, not one per character.
_ENCODED_WORD_RE = re.compile(r"(?<![^\s\"'<>])[^\s\"'<>%+]*+[%+][^\s\"'<>]*")


class Redactor:
    """Redacts results and texts; build one per run, after the contexts are loaded."""

    def __init__(self, enabled: bool = True, secrets: Iterable[str] = ()) -> None:
        self.enabled = enabled
        values = _searchable(secrets) if enabled else set()
        forms: set[str] = set()
        cores: set[str] = set()  # base64: not searched for as prefixes
        for value in values:
            forms.update(_encodings(value))
            cores.update(_base64_cores(value.encode()))
        # Longest first, so a secret is replaced whole before any part of it.
        self._forms = sorted(forms | cores, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, self._forms))) if self._forms else None
        self._prefixes = {
            form[:size]
            for form in forms
            for size in range(MIN_SECRET_LENGTH, len(form))
            if not form[:size].isspace()
        }
        self._longest_prefix = max(map(len, self._prefixes), default=0)
        # Base64 holding a secret of n bytes is at least 4n/3 characters long.
        shortest = min((len(v.encode()) for v in values), default=MIN_SECRET_LENGTH)
        self._shortest = shortest
        self._base64_token_re = re.compile(f"[A-Za-z0-9+/_-]{{{-(-shortest * 4 // 3)},}}={{0,2}}")

    @property
    def searches(self) -> bool:
        """Whether there is any secret to look for."""
        return self.enabled and bool(self._forms)

    def text(self, value: str, cut: bool = False) -> str:
        """A string with every secret value (and its encodings) replaced.

        ``cut``: the string was cut short, so a secret's start of :data:`MIN_SECRET_LENGTH`
        characters at its end is redacted too.
        """
        if not self.searches:
            return value
        value = self._replace_forms(value)
        if "%" in value or "+" in value:
            value = _ENCODED_WORD_RE.sub(self._decoded_percent, value)
        value = self._base64_token_re.sub(self._decoded_base64, value)
        if "..." in value:
            value = "...".join(
                self._cut_prefix(part, MIN_CUT_PREFIX_LENGTH) for part in value.split("...")
            )
        return self._cut_prefix(value, MIN_SECRET_LENGTH if cut else MIN_CUT_PREFIX_LENGTH)

    def _replace_forms(self, text: str) -> str:
        # A substring search per form is several times faster than one big alternation;
        # the alternation then only holds the forms present (usually none).
        present = [form for form in self._forms if form in text]
        if not present:
            return text
        return re.sub("|".join(map(re.escape, present)), REDACTED, text)

    def _holds_secret(self, text: str) -> bool:
        if len(text) < _LONG_TEXT:  # one regex call beats a hundred searches on short text
            return self._pattern is not None and self._pattern.search(text) is not None
        return any(form in text for form in self._forms)

    def _decoded_percent(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if len(token) < self._shortest:
            return token
        if any(self._holds_secret(decode(token)) for decode in (unquote, unquote_plus)):
            return REDACTED
        return token

    def _decoded_base64(self, match: re.Match[str]) -> str:
        token = match.group(0)
        for decoded in base64_decodings(token):
            if self._holds_secret(decoded.decode("utf-8", "replace")):
                return REDACTED
        return token

    def _cut_prefix(self, value: str, minimum: int) -> str:
        """Replace a secret's start (``minimum`` characters or more) ending ``value``."""
        for size in range(min(self._longest_prefix, len(value)), minimum - 1, -1):
            if value[-size:] in self._prefixes:
                return value[:-size] + REDACTED
        return value

    def value(self, value: Any) -> Any:
        """Any JSON-like value with secret values replaced in its strings and keys."""
        if not self.searches:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def _value_cut(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value, cut=True)
        if isinstance(value, dict):
            return {
                self.text(k): REDACTED if k in REDACTED_FIELDS else self._value_cut(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._value_cut(item) for item in value]
        return value

    def result(self, result: dict[str, Any]) -> dict[str, Any]:
        """A result (``name``, ``spec``, ``data``, ``status``, ``message``) made safe to publish."""
        if not self.enabled:
            return result
        redacted = dict(result)
        data = redacted.get("data")
        if isinstance(data, dict) and data.get("data-truncated") is True:
            # Cut by the output bound before every secret was known: any string may end cut.
            return {k: self._value_cut(v) if k != "status" else v for k, v in redacted.items()}
        if isinstance(data, dict) and data.get("body-truncated") is True:
            body = data.get("body")
            if isinstance(body, str):
                redacted["data"] = {**data, "body": self.text(body, cut=True)}
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


def _searchable(secrets: Iterable[str]) -> set[str]:
    values: set[str] = set()
    for secret in secrets:
        for value in (secret, secret.strip()):
            if len(value) >= MIN_SECRET_LENGTH:
                values.add(value)
    return values


def _encodings(secret: str) -> set[str]:
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],  # Python messages quote values with repr()
        html.escape(secret),
    }
    for safe in _URL_SAFE_SETS:
        forms.add(quote(secret, safe=safe))
        forms.add(quote_plus(secret, safe=safe))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _base64_cores(secret: bytes) -> set[str]:
    """What base64 of any text holding ``secret`` must contain, at each alignment.

    With ``offset`` bytes before the secret, the characters from the first one made
    only of the secret's bits to the last one are the same whatever surrounds it.
    """
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret).decode("ascii")
        first = -(-offset * 8 // 6)  # ceil: skip characters holding the padding's bits
        last = (offset + len(secret)) * 8 // 6  # floor: drop the ones needing later bits
        core = encoded[first:last]
        if len(core) >= MIN_BASE64_CORE:
            cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores


class LiveRedactor:
    """The redactor for the secrets known now: values of a directory are read lazily,
    so ``secrets`` is asked each time, and the redactor rebuilt only when they changed.
    """

    def __init__(self, enabled: bool, secrets: Callable[[], Iterable[str]]) -> None:
        self.enabled = enabled
        self._secrets = secrets
        self._known: frozenset[str] | None = None
        self._redactor = Redactor(enabled=False)
        self._lock = threading.Lock()

    def current(self) -> Redactor:
        """A redactor for every secret value known at this moment."""
        if not self.enabled:
            return self._redactor
        current = frozenset(self._secrets())
        with self._lock:
            if current != self._known:
                self._known, self._redactor = current, Redactor(secrets=current)
            return self._redactor


class LogRedaction(logging.Filter):
    """A log filter that redacts the secrets known so far from every record it passes."""

    def __init__(self, redactor: LiveRedactor) -> None:
        super().__init__("netchecks-redaction")
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self._redactor.current()
        if not redactor.searches:
            return True
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = redactor.text(text), None
        return True


@contextlib.contextmanager
def redacted_logs(redactor: LiveRedactor) -> Iterator[None]:
    """While inside, every log handler of the process redacts the secrets known.

    Python warnings (which may quote a URL) are routed through logging meanwhile.
    """
    log_filter = LogRedaction(redactor)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(log_filter)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for handler in handlers:
            handler.removeFilter(log_filter)
