"""Making results safe to write: valid JSON, bounded in size, one rule never costing the others.

The results service reads only the last :data:`LOG_TAIL_BYTES` of a probe Pod's log
(and the kubelet rotates logs at 10 MiB), so an output document bigger than that
would lose every rule. Before writing:

- :func:`json_safe` makes each result writable as strict JSON: NaN and infinities
  become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; lone surrogates
  (from a template such as ``"\\ud800"``) become U+FFFD; values nested deeper than
  :data:`MAX_OUTPUT_DEPTH` become a short note.
- :func:`bound_results` keeps each result's JSON within :data:`MAX_RESULT_BYTES` and
  all of them within :data:`MAX_DOCUMENT_BYTES`: the biggest results are cut first
  (their longest strings shortened; if that is not enough, only their small scalar
  fields kept), down to one common size that lets the document fit, so the small
  results are never touched. A cut result says so in ``data``: ``data-truncated:
  true`` and ``data-truncated-message``. Its status (judged on the full data) stays.
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
from typing import Any

from netchecks_core.limits import MAX_DEPTH

#: What the results service reads of a Pod's log (the tail), per its settings.
LOG_TAIL_BYTES = 8 * 1024 * 1024
#: The whole output document, as compact UTF-8 JSON: well inside the tail read, with room
#: for the diagnostics printed with it.
MAX_DOCUMENT_BYTES = 6 * 1024 * 1024
#: One result (name, spec, data, status, message) as JSON, even when it is alone.
MAX_RESULT_BYTES = 3 * 1024 * 1024
#: Room kept for the document's envelope (type, metadata, assertion names).
_ENVELOPE_BYTES = 64 * 1024
#: Nesting kept in a result (its own levels included); deeper values become a note.
MAX_OUTPUT_DEPTH = MAX_DEPTH
#: Strings this short are not worth cutting; scalars this short survive a full cut.
_SMALL = 256

#: Results sized and cut at the same time (each costs a few copies of itself).
_HEAVY_WORK = threading.BoundedSemaphore(2)

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` that strict JSON (UTF-8, no NaN) can hold."""
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value) if _has_surrogate(value) else value
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else _NON_FINITE[value]
    if isinstance(value, dict | list | tuple) and depth >= MAX_OUTPUT_DEPTH:
        return f"(nested more than {MAX_OUTPUT_DEPTH} levels deep; not written)"
    if isinstance(value, dict):
        return {json_safe(str(k)): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item, depth + 1) for item in value]
    return value


def _safe_and_size(result: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``result`` made JSON-safe, and its :func:`json_size`.

    Most results already are safe: then one strict encoding says so and gives the size,
    and ``result`` itself is returned (a copy is made only to change something).
    """
    try:
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        pass
    else:
        if _plain_containers(result, 0):
            return result, size
    safe: dict[str, Any] = json_safe(result)
    return safe, json_size(safe)


def _plain_containers(value: Any, depth: int) -> bool:
    """Whether ``value`` nests only dicts with string keys and lists, within the depth bound."""
    if isinstance(value, dict):
        return depth < MAX_OUTPUT_DEPTH and all(
            type(key) is str and _plain_containers(item, depth + 1) for key, item in value.items()
        )
    if isinstance(value, list):
        return depth < MAX_OUTPUT_DEPTH and all(
            _plain_containers(item, depth + 1) for item in value
        )
    return not isinstance(value, tuple)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (as the output is written)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def bound_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Results cut, biggest first, so that together they fit the document bound."""
    sizes = [json_size(result) for result in results]
    caps = _common_cap(sizes, MAX_DOCUMENT_BYTES - _ENVELOPE_BYTES)
    return [
        _cut(result, size, cap) if size > cap else result
        for result, size, cap in zip(results, sizes, caps, strict=True)
    ]


class OutputBudget:
    """The document bound applied while rules finish, so big results are not all held at once.

    Each admitted result is cut to the per-result bound at once, and when the results
    held pass the document bound by a quarter, the biggest are cut to the common level
    (which only falls as results arrive, so no cut is undone). The final
    :func:`bound_results` pass then fits the document exactly.
    """

    def __init__(self, budget: int = MAX_DOCUMENT_BYTES - _ENVELOPE_BYTES) -> None:
        self._budget = budget
        self._held: list[tuple[int, dict[str, Any]]] = []
        self._total = 0
        #: The size a result is cut to on arrival: the per-result bound, then the common level.
        self._level = MAX_RESULT_BYTES
        self._closed = False
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """Whether the run's results are final (see :meth:`close`)."""
        return self._closed

    def close(self) -> None:
        """No more results: the ones held are no longer changed (they are being written)."""
        with self._lock:
            self._closed = True

    def admit(self, result: dict[str, Any]) -> dict[str, Any]:
        """``result`` made JSON-safe and cut as the results held so far require."""
        # Sizing and cutting a big result makes copies of it: a few at a time, not 32.
        with _HEAVY_WORK:
            return self._admit(result)

    def _admit(self, result: dict[str, Any]) -> dict[str, Any]:
        safe, size = _safe_and_size(result)
        with self._lock:
            level = self._level
        if size > level:
            safe = _cut(safe, size, level)
            size = json_size(safe)
        with self._lock:
            if self._closed:  # a rule finishing after the run's end: its result is not used
                return safe
            self._held.append((size, safe))
            self._total += size
            if self._total > self._budget * 5 // 4:
                self._cut_held()
            return self._held[-1][1]

    def _cut_held(self) -> None:
        caps = _common_cap([size for size, _ in self._held], self._budget)
        for index, ((size, result), cap) in enumerate(zip(self._held, caps, strict=True)):
            if size > cap:
                cut = _cut(result, size, cap)
                # In place: whoever holds the result (the runner) now holds the cut one,
                # and the full values are freed.
                result.clear()
                result.update(cut)
                self._held[index] = (json_size(result), result)
        self._total = sum(size for size, _ in self._held)
        self._level = min(self._level, max(caps))


def _common_cap(sizes: list[int], budget: int) -> list[int]:
    """Each size's allowance: at most the per-result bound, and one level that fits ``budget``."""
    capped = [min(size, MAX_RESULT_BYTES) for size in sizes]
    if sum(capped) <= budget:
        return capped
    remaining, left = budget, len(capped)
    for size in sorted(capped):
        level = remaining // left
        if size > level:
            return [min(each, max(level, _SMALL)) for each in capped]
        remaining -= size
        left -= 1
    return capped


def _cut(result: dict[str, Any], size: int, cap: int) -> dict[str, Any]:
    """``result`` within ``cap`` bytes: its longest strings shortened, else its small fields."""
    # A private copy of the containers (strings are shared until cut).
    cut: dict[str, Any] = copy.deepcopy(result)
    data = cut["data"] if isinstance(cut.get("data"), dict) else {}
    note = {
        "data-truncated": True,
        "data-truncated-message": (
            f"this result was {size} bytes; the output bound left room for {cap}, "
            "so its longest values were cut"
        ),
    }
    cut["data"] = {**data, **note}
    _shorten_strings(cut, size + json_size(note) - cap)
    if json_size(cut) > cap:
        cut["spec"] = _small_fields(cut.get("spec"))
        cut["data"] = {**_small_fields(data), **note}
        cut["data"]["data-truncated-message"] += " and only its small fields kept"
        if isinstance(cut.get("message"), str):
            cut["message"] = cut["message"][:_SMALL]
    return cut


def _shorten_strings(result: dict[str, Any], excess: int) -> None:
    """Cut the longest strings of ``result`` (spec, data, message) by about ``excess`` bytes."""
    leaves = sorted(_string_leaves(result), key=lambda leaf: leaf[0], reverse=True)
    for weight, holder, key in leaves:
        if excess <= 0 or weight <= _SMALL:
            return
        text: str = holder[key]
        keep = max(weight - excess - 16, _SMALL)
        shortened = _prefix_within(text, keep, weight)
        excess -= weight - json_size(shortened)
        holder[key] = shortened


def _string_leaves(value: Any) -> list[tuple[int, Any, Any]]:
    """(JSON size, container, key) of every string in ``value`` (already depth-bounded)."""
    found: list[tuple[int, Any, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, str) and len(child) > _SMALL:
                found.append((json_size(child), item, key))
            elif isinstance(child, dict | list):
                stack.append(child)
    return found


def _prefix_within(text: str, limit: int, weight: int) -> str:
    """A start of ``text`` whose JSON takes at most ``limit`` bytes (``weight``: all of it)."""
    # Guess from the average bytes per character, then step down if the start is denser.
    keep = min(len(text), limit, len(text) * limit // max(weight, 1))
    while keep > 0 and json_size(text[:keep]) > limit:
        keep = keep * 7 // 8
    return text[:keep]


def _small_fields(section: Any) -> dict[str, Any]:
    """The scalar fields of a section that are small (status codes, reasons, timestamps)."""
    if not isinstance(section, dict):
        return {}
    return {
        key: value
        for key, value in section.items()
        if not isinstance(value, dict | list) and json_size(value) <= _SMALL
    }
