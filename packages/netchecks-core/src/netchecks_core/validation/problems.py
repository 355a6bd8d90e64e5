"""What the validator reports: problems, each at a field path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, at ``path`` (``spec.rules[0].validation``)."""

    path: str
    message: str
    #: Index of the rule it belongs to: ``(i,)`` for ``spec.rules[i]``, ``(a, r)`` for
    #: ``assertions[a].rules[r]``; None when it is about the document as a whole.
    rule: tuple[int, ...] | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Report:
    """Every problem of one document, and how many rules it holds."""

    problems: list[Problem] = field(default_factory=list)
    rules: int = 0
    #: Things that work but may not be what was meant (repeated rule names).
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems

    def invalid_rules(self) -> set[tuple[int, ...]]:
        """The rules that must not run."""
        return {p.rule for p in self.problems if p.rule is not None}

    def messages(self, rule: tuple[int, ...] | None = None) -> list[str]:
        """Each problem as ``path: message`` (only those of ``rule`` when given)."""
        return [str(p) for p in self.problems if rule is None or p.rule == rule]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known word is close to ``word``, else ``""``."""
    match = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
