"""Probe Pod log -> probe output document, or a described failure.

Kubernetes merges a container's stdout and stderr into one log, so the probe's
result (one JSON document, compact on the last line of stdout; pretty-printed by
older probes) sits among diagnostics. The result is the *last* document in the log
that is a valid probe output; everything around it is ignored. Anything else
(empty, no document, a cut-off or invalid document, binary garbage) becomes a
:class:`ParseFailure`: a reason code, a sentence and the log's size. The log's text is
never quoted: a run without parsable output may have printed anything (a templated
rule name holding a secret, a crash trace with credentials), and no pattern list can
tell what is secret.

Pure: no I/O, no logging of the log's content.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Literal

from netchecks_core.errors import describe_errors, join
from netchecks_core.probe_output import OUTPUT_TYPE, ProbeOutput
from pydantic import ValidationError

FailureReason = Literal["empty", "no-output", "incomplete-output", "invalid-output", "too-deep"]

#: How many candidate document starts are tried before giving up (bounds the work
#: on a log of many JSON-looking lines).
MAX_ATTEMPTS = 2000
#: Characters decoded per character of log at most, over all attempts (plus
#: ``MIN_BUDGET``): what keeps parsing linear in the log's size whatever it holds.
WORK_FACTOR = 4
MIN_BUDGET = 1 << 20
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LINE_START_BRACE = re.compile(r"^\{\s*(?:\"|\}|$)", re.MULTILINE)
_LINE_CLOSE_BRACE = re.compile(r"\n\}")
_TYPE_ANCHOR = f'"{OUTPUT_TYPE}"'


@dataclass(frozen=True)
class ParseFailure:
    """Why a log holds no usable result: a stable reason code, a sentence and the log's size."""

    reason: FailureReason
    detail: str
    #: Bytes of log read (its content is never quoted).
    size: int

    def describe(self) -> str:
        """The sentence with the reason code and size, for a report message."""
        if not self.size:
            return self.detail
        return f"{self.detail} [{self.reason}, {self.size} bytes of log, content not shown]"


def decode_log(raw: str | bytes) -> str:
    """Text of a log: invalid UTF-8 replaced, BOM, colour codes and CRs removed."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text = text.removeprefix("\ufeff")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _looks_like_output(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("type")
    return kind == OUTPUT_TYPE or (kind is None and "assertions" in obj and "metadata" in obj)


class _Search:
    """Two passes over the log's candidate document starts, latest first, in linear time.

    Every decode attempt of a pass is paid for from a budget of ``WORK_FACTOR`` times
    the log's length (plus a constant): line-start attempts read disjoint ranges, and
    a search that a crafted log would make quadratic stops when the budget is spent. The probe's
    own document is at the end of its log, so it is among the first attempts.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = json.JSONDecoder()
        self.attempts, self.budget = 0, 0  # set by new_phase
        self.new_phase()
        self.tried: set[int] = set()
        self.invalid: ValidationError | None = None
        self.saw_start = False
        #: A candidate nested deeper than the JSON decoder's recursion limit.
        self.too_deep = False

    def new_phase(self) -> None:
        """A full allowance of attempts and budget (each phase has its own)."""
        self.attempts, self.budget = 0, WORK_FACTOR * len(self.text) + MIN_BUDGET

    @property
    def exhausted(self) -> bool:
        """No attempt or no budget left in this phase."""
        return self.attempts >= MAX_ATTEMPTS or not self.budget

    def _spend(self, cost: int) -> bool:
        if cost > self.budget:
            self.budget = 0
            return False
        self.budget -= cost
        return True

    def _loads(self, start: int, end: int) -> object:
        # Decode a slice, not the whole log: json's error path counts the lines
        # before the error, which is linear in the position.
        if not self._spend(end - start):
            return None
        try:
            return self.decoder.raw_decode(self.text[start:end])[0]
        except json.JSONDecodeError:
            return None
        except RecursionError:
            self.too_deep = True
            return None

    def _decode_line_start(self, pos: int, close: int | None) -> object:
        # The line itself (compact output), then up to ``close``, the next line
        # holding only "}" (pretty-printed output), if no other start lies between.
        eol = self.text.find("\n", pos)
        eol = eol if eol >= 0 else len(self.text)
        found = self._loads(pos, eol)
        if found is not None or close is None:
            return found
        return self._loads(pos, close + 2)

    def _decode_anywhere(self, pos: int) -> object:
        return self._loads(pos, len(self.text))

    def try_at(self, pos: int, *, close: int | None = None, line_start: bool) -> ProbeOutput | None:
        if pos in self.tried or self.exhausted:
            return None
        self.tried.add(pos)
        self.attempts += 1
        obj = self._decode_line_start(pos, close) if line_start else self._decode_anywhere(pos)
        if not _looks_like_output(obj):
            return None
        try:
            return ProbeOutput.model_validate(obj)
        except RecursionError:
            self.too_deep = True
            return None
        except ValidationError as error:
            if self.invalid is None:
                self.invalid = error
            return None

    def line_starts(self) -> ProbeOutput | None:
        # Every output document holds "assertions": starts after its last
        # occurrence cannot begin one, which skips trailing JSON log lines cheaply.
        last_key = self.text.rfind('"assertions"')
        if last_key < 0:
            return None
        starts = [m.start() for m in _LINE_START_BRACE.finditer(self.text, 0, last_key)]
        closes = [
            m.start() for m in _LINE_CLOSE_BRACE.finditer(self.text, starts[0] if starts else 0)
        ]
        following = len(self.text)
        for pos in reversed(starts):
            index = bisect.bisect_left(closes, pos)
            close = closes[index] if index < len(closes) else None
            # A pretty-printed document has no line start inside it: its close comes
            # before the next start, so each range is tried once.
            found = self.try_at(
                pos,
                close=close if close is not None and close < following else None,
                line_start=True,
            )
            if found is not None:
                return found
            if self.exhausted:
                break
            following = pos
        return None

    def anchored(self) -> ProbeOutput | None:
        # Documents behind a prefix on their line ("result: {...}") or indented:
        # start from the brace nearest before each `"type": "netcheck-output"`.
        # A phase of its own, so line starts cannot use it up.
        self.new_phase()
        end = len(self.text)
        while True:
            anchor = self.text.rfind(_TYPE_ANCHOR, 0, end)
            if anchor < 0:
                return None
            self.saw_start = True
            brace = self.text.rfind("{", 0, anchor)
            if brace >= 0:
                found = self.try_at(brace, line_start=False)
                if found is not None:
                    return found
            if self.exhausted:
                return None
            end = anchor


def parse_log(raw: str | bytes) -> ProbeOutput | ParseFailure:
    """The last valid probe output document in a log, or why there is none."""
    size = len(raw.encode("utf-8", errors="replace")) if isinstance(raw, str) else len(raw)
    text = decode_log(raw)
    if not text.strip():
        return ParseFailure("empty", "the probe printed nothing", size)
    search = _Search(text)
    found = search.line_starts() or search.anchored()
    if found is not None:
        return found
    if search.invalid is not None:
        problems = join(describe_errors(search.invalid)[:3])
        return ParseFailure(
            "invalid-output", f"the probe output document is not valid: {problems}", size
        )
    if search.too_deep and search.saw_start:
        return ParseFailure(
            "too-deep", "the probe output document is nested too deeply to be read", size
        )
    if search.saw_start:
        return ParseFailure(
            "incomplete-output",
            "the probe output document in the log is incomplete (cut off or corrupted)",
            size,
        )
    return ParseFailure("no-output", "the log holds no probe output document", size)
