"""Label and field selectors as the API server parses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

Obj = dict[str, Any]
Matcher = Callable[[Obj], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One comma-separated term of a label selector."""

    key: str
    op: str  # =, !=, in, notin, exists, !
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!":
            return self.key not in labels
        if self.op in ("=", "in"):
            return labels.get(self.key) in self.values
        # != and notin also match objects that lack the key
        return labels.get(self.key) not in self.values


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A metav1.LabelSelector (empty or absent: everything)."""
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    selector = selector or {}
    reqs = [Requirement(k, "=", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            return False
        reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return all(r.matches(labels) for r in reqs)


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t for t in terms if t.strip()]


def parse_label_selector(text: str | None) -> list[Requirement]:
    """Parse ``a=b,c!=d,e in (f,g),!h,i``; raise 400 on syntax errors."""
    if not text:
        return []
    out: list[Requirement] = []
    for term in _split_terms(text):
        eq = _EQ_RE.match(term)
        if eq:
            op = "!=" if eq.group(2) == "!=" else "="
            out.append(Requirement(eq.group(1), op, (eq.group(3),)))
            continue
        st = _SET_RE.match(term)
        if not st or (st.group(1) and st.group(3)):
            raise bad_request(f"unable to parse requirement: {term.strip()!r}")
        if st.group(3):
            values = tuple(v.strip() for v in st.group(4).split(",") if v.strip())
            out.append(Requirement(st.group(2), st.group(3), values))
        else:
            out.append(Requirement(st.group(2), "!" if st.group(1) else "exists"))
    return out


def labels_match(reqs: list[Requirement], obj: Obj) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


def _field_value(obj: Obj, path: str) -> str:
    if path == "source":  # core Event: source.component
        return str((obj.get("source") or {}).get("component", ""))
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def parse_field_selector(
    text: str | None, supported: tuple[str, ...], describe: str
) -> list[tuple[str, bool, str]]:
    """Parse ``metadata.name=x,status.phase!=Running``; 400 for unsupported labels."""
    if not text:
        return []
    out = []
    allowed = {"metadata.name", "metadata.namespace", *supported}
    for term in text.split(","):
        if not term.strip():
            continue
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        if m.group(1) not in allowed:
            raise ApiError(
                400,
                "BadRequest",
                f'Unable to find "{describe}" that match label selector "", field selector '
                f'"{text}": field label not supported: {m.group(1)}',
            )
        out.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return out


def fields_match(terms: list[tuple[str, bool, str]], obj: Obj) -> bool:
    return all((_field_value(obj, path) == value) == positive for path, positive, value in terms)
