"""What the demo prints: the results table and where each thing lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

MESSAGE_WIDTH = 60


@dataclass
class Row:
    """One rule's result, from its PolicyReport."""

    namespace: str
    assertion: str
    rule: str
    type: str
    result: str
    expected: str
    message: str
    #: The node of a per-node result (empty otherwise).
    node: str = ""

    @property
    def as_expected(self) -> bool:
        return self.result == self.expected


def _cut(text: str, width: int = MESSAGE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def result_node(result: dict[str, Any]) -> str:
    """The node a per-node result is about (its ``{kind: Node}`` resource), else ``""``."""
    for reference in result.get("resources") or []:
        if isinstance(reference, dict) and reference.get("kind") == "Node":
            return str(reference.get("name") or "")
    return ""


def table(rows: list[Row]) -> str:
    """The results, one line per rule (per node for per-node assertions); ✗ marks a rule
    that did not reach its expected result."""
    header = ("ASSERTION", "RULE", "NODE", "TYPE", "RESULT", "MESSAGE")
    cells = [
        (
            f"{r.namespace}/{r.assertion}",
            r.rule,
            r.node or "-",
            r.type,
            r.result,
            _cut(r.message) or "-",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    lines = []
    for number, cell in enumerate([header, *cells]):
        marker = "  " if number == 0 or rows[number - 1].as_expected else "✗ "
        text = "  ".join(v.ljust(w) for v, w in zip(cell, widths, strict=True))
        lines.append((marker + text).rstrip())
    return "\n".join(lines)


def hints(
    applied: list[tuple[str, str, int]], kubeconfig: Path, services: list[Any], workdir: Path
) -> str:
    """kubectl-style pointers to every thing the demo made."""
    namespace, name, _ = applied[0]
    pointers = [
        ("kubectl get nas -A -o wide", "the assertions: Ready, Passing, counts, Reason"),
        (f"kubectl wait --for=condition=Ready nas/{name} -n {namespace}", "until results are in"),
        (f"kubectl describe nas {name} -n {namespace}", "status conditions and Events"),
        (f"kubectl get policyreport {name} -n {namespace} -o yaml", "a result per rule"),
        ("kubectl get cronjobs,jobs,pods -A -l app.kubernetes.io/name=netchecks", "probe runs"),
        (f"kubectl get configmap {name}-netchecks-config -n {namespace} -o yaml", "probe config"),
        *((f"curl {s.url}/metrics", f"{s.command} metrics") for s in services),
        (f"ls {workdir}/*.log", "logs of every process"),
    ]
    width = max(len(command) for command, _ in pointers)
    lines = [
        "Where things live, once kubectl points at the demo cluster:",
        f"  export KUBECONFIG={kubeconfig}",
    ]
    lines += [f"  {command.ljust(width)}  # {what}" for command, what in pointers]
    return "\n".join(lines)
