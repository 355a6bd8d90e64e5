"""Which nodes a per-node run covers, and how a probe Pod is pinned to one (pure).

A node takes part when it matches ``placement.nodes.selector``, is Ready, is not
cordoned, and every ``NoSchedule``/``NoExecute`` taint it has is tolerated by the
placement's tolerations: the nodes the scheduler would accept a pinned probe Pod on.
Pinning is what the DaemonSet controller does: a required node affinity term with
``matchFields`` on ``metadata.name``, added to each of the template's own terms, so the
scheduler still checks taints and the template's affinity (``nodeName`` would skip both).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import (
    MAX_PLACEMENT_NODES,
    LabelSelector,
    NodePlacement,
    Toleration,
)

Obj = dict[str, Any]


def selector_matches(selector: LabelSelector | None, labels: dict[str, str]) -> bool:
    """A label selector against a node's labels (absent or empty: everything)."""
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in selector.match_labels.items()):
        return False
    for req in selector.match_expressions:
        present = req.key in labels
        if req.operator == "In" and labels.get(req.key) not in req.values:
            return False
        if req.operator == "NotIn" and present and labels[req.key] in req.values:
            return False
        if req.operator == "Exists" and not present:
            return False
        if req.operator == "DoesNotExist" and present:
            return False
    return True


def is_ready(node: Obj) -> bool:
    """The node's Ready condition is True."""
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def _tolerates(toleration: Toleration, taint: Obj) -> bool:
    if toleration.effect and toleration.effect != taint.get("effect"):
        return False
    operator = toleration.operator or "Equal"
    if not toleration.key:
        return operator == "Exists"
    if toleration.key != taint.get("key"):
        return False
    return operator == "Exists" or (toleration.value or "") == (taint.get("value") or "")


def taints_tolerated(tolerations: Sequence[Toleration], node: Obj) -> bool:
    """Every NoSchedule/NoExecute taint of the node is tolerated."""
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(_tolerates(t, taint) for t in tolerations):
            return False
    return True


def eligible_nodes(nodes: Sequence[Obj], placement: NodePlacement) -> list[str]:
    """The names of the nodes a run covers, sorted, at most ``MAX_PLACEMENT_NODES``."""
    names = []
    for node in nodes:
        meta = node.get("metadata") or {}
        if meta.get("deletionTimestamp") or (node.get("spec") or {}).get("unschedulable"):
            continue
        if not is_ready(node) or not taints_tolerated(placement.tolerations, node):
            continue
        if selector_matches(placement.selector, meta.get("labels") or {}):
            names.append(str(meta["name"]))
    return sorted(names)[:MAX_PLACEMENT_NODES]


def _pin_affinity(pod_spec: Obj, node: str) -> None:
    """Require ``metadata.name == node`` in every required node affinity term."""
    pin = {"key": "metadata.name", "operator": "In", "values": [node]}
    affinity = pod_spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    terms = required.get("nodeSelectorTerms") or [{}]
    for term in terms:
        fields = [f for f in term.get("matchFields") or [] if f.get("key") != "metadata.name"]
        term["matchFields"] = [*fields, pin]
    required["nodeSelectorTerms"] = terms


def pinned_job_spec(job_spec: Obj, node: str, placement: NodePlacement, run_labels: Obj) -> Obj:
    """The Job spec of one node's probe: pinned to ``node``, with the placement's
    tolerations and the run's labels and annotations on the Pod."""
    spec = copy.deepcopy(job_spec)
    template = spec["template"]
    pod_spec = template["spec"]
    _pin_affinity(pod_spec, node)
    tolerations = [t.model_dump(exclude_none=True) for t in placement.tolerations]
    pod_spec["tolerations"] = [*(pod_spec.get("tolerations") or []), *tolerations]
    meta = template.setdefault("metadata", {})
    meta.setdefault("labels", {}).update(run_labels)
    meta.setdefault("annotations", {})[naming.ANNOTATION_NODE] = node
    return spec
