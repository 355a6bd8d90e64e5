"""Writing reports: whether a run should replace the current report (pure), and the write.

A report names the run it shows in its annotations (Pod UID and phase, Job, run and
start times). A run is written unless the report already shows it, or shows a
newer run. A report without a Job UID was written by a release that dated runs by an
annotation users can set: its dates are not believed, and any proven run replaces it.
Writes are create, or replace conditional on the report's resourceVersion, so two
writers can never interleave: the loser gets a ConflictError and decides again on
fresh data.
"""

from __future__ import annotations

from typing import Any, Literal

from netchecks_core.meta import metadata_of
from netchecks_core.naming import (
    LABEL_ASSERTION_UID,
    LABEL_MANAGED_BY,
    MANAGED_BY_RESULTS,
)
from netchecks_core.policyreport import (
    ANNOTATION_JOB_UID,
    ANNOTATION_POD_PHASE,
    ANNOTATION_POD_UID,
)
from netchecks_core.resources import Resource
from netchecks_service.errors import ConflictError, NotFoundError, TransientError

from netchecks_results.kube import ResultsKube
from netchecks_results.report import shown_order
from netchecks_results.runs import ProbeRun

Decision = Literal["write", "reflected", "older", "foreign"]


def decide(run: ProbeRun, current: dict[str, Any] | None) -> Decision:
    """What to do with ``run`` given the assertion's current report (None: there is none)."""
    if current is None:
        return "write"
    meta = metadata_of(current)
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY_RESULTS:
        return "foreign"
    if labels.get(LABEL_ASSERTION_UID) != run.assertion_uid:
        # Left by an earlier assertion of the same name (garbage collection pending).
        return "write"
    if annotations.get(ANNOTATION_POD_UID) == run.pod_uid:
        return "reflected" if annotations.get(ANNOTATION_POD_PHASE) == run.phase else "write"
    if not annotations.get(ANNOTATION_JOB_UID):
        return "write"
    shown = shown_order(annotations)
    if shown is not None and shown > run.order_key:
        return "older"
    return "write"


def publish(
    kube: ResultsKube, api: Resource, desired: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    """Create the report, or replace ``current`` with it; returns the object written."""
    if current is None:
        return kube.create_report(api, desired)
    version = metadata_of(current).get("resourceVersion")
    body = {**desired, "metadata": {**desired["metadata"], "resourceVersion": version}}
    return kube.replace_report(api, body)


def write_report(
    kube: ResultsKube,
    api: Resource,
    run: ProbeRun,
    desired: dict[str, Any],
    current: dict[str, Any] | None,
) -> dict[str, Any] | Decision:
    """Create or replace; on a conflict, read the report again and decide again.

    Returns the report written, or why it was not (the decision on fresh data). Raises
    :class:`TransientError` when the report kept changing under three attempts.
    """
    meta = desired["metadata"]
    for _attempt in range(3):
        try:
            return publish(kube, api, desired, current)
        except ConflictError:
            try:
                current = kube.get_report(api, meta["namespace"], meta["name"])
            except NotFoundError:
                current = None
            decision = decide(run, current)
            if decision != "write":
                return decision
    raise TransientError(f"report {meta['name']} kept changing while being written")
