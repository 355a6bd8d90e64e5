"""The children the operator makes for an assertion (pure): bodies, ownership and changes.

Each child carries a hash of what the operator sets on it: a child is replaced only
when that hash differs, so applying a plan and planning again writes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import API_VERSION, KIND
from netchecks_core.meta import annotations_of, labels_of, metadata_of

from netchecks_operator.errors import NameTakenError
from netchecks_operator.plan_model import Action, ChildKind, Plan
from netchecks_operator.podtemplate import CONFIG_KEY

#: On Jobs the operator makes: ``once`` (one per spec generation) or ``now`` (run-now).
ANNOTATION_RUN = "netchecks.io/run"


def owner_reference(assertion: dict[str, Any]) -> dict[str, Any]:
    """The controller reference to the assertion, for every child."""
    meta = assertion["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_by(obj: dict[str, Any] | None, uid: str) -> bool:
    """Whether ``obj`` has a controller reference to the object with ``uid``."""
    refs = metadata_of(obj).get("ownerReferences") or []
    return any(r.get("uid") == uid and r.get("controller") for r in refs)


def spec_hash(obj: dict[str, Any]) -> str:
    """A hash of what the operator sets on a child (labels, annotations, spec or data)."""
    content = {
        "labels": labels_of(obj),
        "annotations": {
            k: v for k, v in annotations_of(obj).items() if k != naming.ANNOTATION_SPEC_HASH
        },
        "spec": obj.get("spec"),
        "data": obj.get("data"),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def with_hash(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its spec hash annotated."""
    obj["metadata"].setdefault("annotations", {})[naming.ANNOTATION_SPEC_HASH] = spec_hash(obj)
    return obj


def _observed_hash(obj: dict[str, Any] | None) -> str | None:
    value = annotations_of(obj).get(naming.ANNOTATION_SPEC_HASH)
    return value if isinstance(value, str) else None


def run_kind(job: dict[str, Any]) -> Any:
    """The Job's ``netchecks.io/run`` annotation: ``once``, ``now`` or None (scheduled)."""
    return annotations_of(job).get(ANNOTATION_RUN)


def child_meta(assertion: dict[str, Any], name: str, generation: int | None) -> dict[str, Any]:
    """Metadata of a child: labels, annotations and the owner reference."""
    meta = assertion["metadata"]
    return {
        "name": name,
        "namespace": meta["namespace"],
        "labels": naming.child_labels(meta["uid"]),
        "annotations": naming.child_annotations(meta["name"], generation),
        "ownerReferences": [owner_reference(assertion)],
    }


def configmap_body(assertion: dict[str, Any], config_text: str) -> dict[str, Any]:
    """The ConfigMap holding the probe config."""
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": child_meta(
            assertion, naming.configmap_name(assertion["metadata"]["name"]), None
        ),
        "data": {CONFIG_KEY: config_text},
    }
    return with_hash(configmap)


def job_body(
    assertion: dict[str, Any], name: str, job_spec: dict[str, Any], run: str
) -> dict[str, Any]:
    """A one-shot (``once``) or run-now (``now``) Job."""
    # No ttlSecondsAfterFinished: a TTL would delete a run nobody read if the results
    # service is down for longer; the operator removes it once its result is taken
    # (see cleanup.py).
    meta = child_meta(assertion, name, int(assertion["metadata"].get("generation") or 1))
    meta["annotations"][ANNOTATION_RUN] = run
    spec = copy.deepcopy(job_spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}


def delete_action(kind: ChildKind, obj: dict[str, Any]) -> Action:
    """Delete ``obj``, guarded by its uid."""
    return Action("delete", kind, obj["metadata"]["name"], uid=obj["metadata"].get("uid"))


def ensure(
    result: Plan,
    kind: ChildKind,
    desired: dict[str, Any],
    observed: dict[str, Any] | None,
    uid: str,
) -> None:
    """Add the create or replace that makes ``observed`` what ``desired`` says (or nothing)."""
    name = desired["metadata"]["name"]
    if observed is None:
        result.actions.append(Action("create", kind, name, desired))
        return
    if not owned_by(observed, uid):
        raise NameTakenError(kind, name)
    if _observed_hash(observed) != _observed_hash(desired):
        body = copy.deepcopy(desired)
        body["metadata"]["resourceVersion"] = observed["metadata"].get("resourceVersion")
        result.actions.append(Action("replace", kind, name, body))
