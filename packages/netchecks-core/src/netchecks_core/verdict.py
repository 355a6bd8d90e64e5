"""The verdict model: one pure function from what happened to ``pass``, ``fail`` or ``error``.

==================================================  ======  ====================
what happened                                       status  ``expected: fail``
==================================================  ======  ====================
a response arrived, the rule is true                pass    fail
a response arrived, the rule is false               fail    pass
no response (:data:`NO_RESPONSE_REASONS`), the      fail    pass
rule is false or cannot be evaluated on ``data``
(a field, an item the response would have held)
a response arrived, the rule cannot be evaluated    error   error
or is not a bool; or no response and the rule
failed for another reason (its budget, a context
key, a non-bool result)
``data.reason`` in :data:`UNJUDGED_REASONS`         error   error
(``deadline``, ``invalid-target``, ...)
never judged (template error, crashed check)        error   error
==================================================  ======  ====================

``expected: fail`` swaps ``pass`` and ``fail`` and never touches ``error``: a rule
that could not be judged must not pass by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from netchecks_core.data_fields import closest_field
from netchecks_core.reasons import NO_RESPONSE_REASONS, REASONS, UNJUDGED_REASONS

Status = Literal["pass", "fail", "error"]

__all__ = ["CelOutcome", "Status", "Verdict", "decide", "missing_data_key_message"]


@dataclass(frozen=True)
class CelOutcome:
    """What the rule's CEL expression gave: a ``value``, or the ``error`` that stopped it.

    ``missing_key`` names the key a failed lookup asked for, when that was the error;
    ``concerns_response`` says the error may come from ``data`` lacking what a response
    would have held (a field, a list item): the one error a check without a response
    excuses. A rule over its budget or missing a context key is never excused.
    """

    value: Any = None
    error: str | None = None
    missing_key: str | None = None
    concerns_response: bool = False

    @property
    def held(self) -> bool | None:
        """True or false when the rule evaluated to a bool; None when it did not."""
        if self.error is None and isinstance(self.value, bool):
            return self.value
        return None


@dataclass(frozen=True)
class Verdict:
    """A rule's status and the sentence saying why (None for a plain pass)."""

    status: Status
    message: str | None


def decide(
    *,
    data: Mapping[str, Any],
    cel: CelOutcome | None,
    expected: str = "pass",
    unjudged: str | None = None,
) -> Verdict:
    """The verdict of one rule (see the module's table).

    Args:
        data: what the check observed (its ``reason`` classifies failures).
        cel: the outcome of the rule's CEL expression; None if it was not evaluated.
        expected: the rule's ``expected`` (``fail`` swaps pass and fail).
        unjudged: why the rule was never judged (a template error, a crash), if so.
    """
    if unjudged is not None:
        return Verdict("error", unjudged)
    reason = data.get("reason")
    reason = reason if isinstance(reason, str) else None
    if reason in UNJUDGED_REASONS:
        return Verdict("error", f"reason: {_reason_text(reason, data)}")
    held = cel.held if cel is not None else None
    if held is None:
        no_response = reason in NO_RESPONSE_REASONS
        if not (no_response and cel is not None and cel.concerns_response):
            return Verdict("error", _unevaluated(cel))
        held = False  # no response: a failed check, whatever its fields would have said
    expect_fail = expected == "fail"
    if held:
        if expect_fail:
            return Verdict("fail", "the check succeeded but was expected to fail")
        return Verdict("pass", None)
    why = "the rule is false" if cel is not None and cel.held is False else "no response"
    detail = f"reason: {_reason_text(reason, data)}" if reason else None
    if expect_fail:
        return Verdict("pass", "the check failed, as expected" + (f" ({detail})" if detail else ""))
    return Verdict("fail", "; ".join(p for p in (why, detail) if p))


def missing_data_key_message(check_type: str, expression: str, key: str) -> str | None:
    """``data has no key 'k' (did you mean 'k2'?)`` when ``expression`` reads ``data.k``.

    None when the missing key is not read from ``data`` (a context, a nested map).
    """
    escaped = re.escape(key)
    reads = rf"\bdata\s*(?:\.\s*{escaped}\b|\[\s*(['\"]){escaped}\1\s*\])"
    if not re.search(reads, expression):
        return None
    near = closest_field(check_type, key)
    hint = f" (did you mean {near!r}?)" if near and near != key else ""
    return f"data has no key {key!r}{hint}"


def _unevaluated(cel: CelOutcome | None) -> str:
    if cel is None:
        return "the rule was not evaluated"
    if cel.error is not None:
        return f"the rule could not be evaluated: {cel.error}"
    return f"the rule gave {_short(cel.value)}, not true or false"


def _reason_text(reason: str, data: Mapping[str, Any]) -> str:
    detail = data.get("exception") or REASONS.get(reason, "")
    return reason + (f" ({detail})" if detail else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
