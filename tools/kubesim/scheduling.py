"""The scheduler's filters, as pure functions of a Pod and the Nodes.

kube-scheduler's filter plugins that kubesim reproduces (reference: "Assigning Pods to
Nodes" and "Taints and Tolerations"): NodeUnschedulable, NodeName, NodeAffinity
(``nodeSelector`` plus required node affinity: ``matchExpressions`` on labels with In,
NotIn, Exists, DoesNotExist, Gt, Lt, and ``matchFields`` on ``metadata.name``) and
TaintToleration (NoSchedule and NoExecute taints). A node whose Ready condition is not
True counts as tainted ``node.kubernetes.io/not-ready:NoSchedule``, which is the taint
the node lifecycle controller puts on it (TaintNodesByCondition).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

Obj = dict[str, Any]

NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
_AFFINITY_MISS = "node(s) didn't match Pod's node affinity/selector"


def is_ready(node: Obj) -> bool:
    """The node's Ready condition is True."""
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def effective_taints(node: Obj) -> list[Obj]:
    """The node's taints plus those the lifecycle controller derives from its state."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    if not is_ready(node):
        taints.append(NOT_READY_TAINT)
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append(UNSCHEDULABLE_TAINT)
    return taints


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """One toleration matches one taint (empty effect: all effects; empty key with
    Exists: every taint)."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    operator = toleration.get("operator") or "Equal"
    if not toleration.get("key"):
        return operator == "Exists"
    if toleration["key"] != taint.get("key"):
        return False
    return operator == "Exists" or toleration.get("value", "") == taint.get("value", "")


def untolerated_taint(tolerations: list[Obj], node: Obj) -> Obj | None:
    """The first NoSchedule/NoExecute taint no toleration matches, if any."""
    for taint in effective_taints(node):
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _requirement_matches(req: Obj, values: dict[str, str]) -> bool:
    key, operator = req.get("key", ""), req.get("operator", "")
    wanted = [str(v) for v in req.get("values") or []]
    if operator == "In":
        return key in values and values[key] in wanted
    if operator == "NotIn":
        return values.get(key) not in wanted
    if operator == "Exists":
        return key in values
    if operator == "DoesNotExist":
        return key not in values
    if operator in ("Gt", "Lt") and key in values and len(wanted) == 1:
        try:
            have, bound = int(values[key]), int(wanted[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def _term_matches(term: Obj, node: Obj) -> bool:
    """All of a term's expressions (labels) and fields (metadata.name) match; an empty
    term matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = dict((node.get("metadata") or {}).get("labels") or {})
    node_fields = {"metadata.name": node["metadata"]["name"]}
    return all(_requirement_matches(r, labels) for r in expressions) and all(
        _requirement_matches(r, node_fields) for r in fields
    )


def matches_affinity(spec: Obj, node: Obj) -> bool:
    """``nodeSelector`` and required node affinity (terms ORed, requirements ANDed)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    if required is None:
        return True
    return any(_term_matches(term, node) for term in required)


def rejection(spec: Obj, node: Obj) -> str | None:
    """Why ``node`` cannot take a Pod with ``spec`` (the scheduler's reason), or None."""
    if not matches_affinity(spec, node):
        return _AFFINITY_MISS
    taint = untolerated_taint(list(spec.get("tolerations") or []), node)
    if taint is None:
        return None
    if taint is UNSCHEDULABLE_TAINT:
        return "node(s) were unschedulable"
    value = f": {taint['value']}" if taint.get("value") else ""
    return f"node(s) had untolerated taint {{{taint['key']}{value}}}"


def unschedulable_message(reasons: list[str]) -> str:
    """The FailedScheduling message: ``0/3 nodes are available: 1 node(s) ...``."""
    counts = Counter(reasons)
    parts = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
    total = len(reasons)
    text = f"0/{total} nodes are available"
    if parts:
        text += f": {parts}"
    return (
        f"{text}. preemption: 0/{total} nodes are available: "
        f"{total} Preemption is not helpful for scheduling."
    )


def pick_node(spec: Obj, nodes: list[Obj], load: dict[str, int]) -> tuple[str | None, list[str]]:
    """The feasible node with the fewest running Pods (ties: by name), or the reasons
    every node was rejected."""
    feasible: list[str] = []
    reasons: list[str] = []
    for node in nodes:
        reason = rejection(spec, node)
        if reason is None:
            feasible.append(node["metadata"]["name"])
        else:
            reasons.append(reason)
    if not feasible:
        return None, reasons
    return min(feasible, key=lambda name: (load.get(name, 0), name)), []
