"""The plan's per-node branch (pure): ``spec.placement.nodes`` -> the writes of a run.

See :mod:`netchecks_operator.noderuns` for what a per-node run is and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import NodePlacement
from netchecks_core.meta import annotations_of
from netchecks_core.times import parse_rfc3339

from netchecks_operator.children import delete_action, owned_by
from netchecks_operator.noderuns import (
    RunStart,
    newest_run,
    progress_actions,
    run_jobs_bodies,
    run_prefix,
    scheduled_start,
    superseded,
)
from netchecks_operator.nodes import eligible_nodes
from netchecks_operator.plan_model import Action, EventNote, Observed, Plan

NO_NODES = "no node matches spec.placement.nodes (Ready, schedulable, taints tolerated)"
NODES_UNKNOWN = "the operator cannot list Nodes (RBAC: nodes get/list/watch)"


@dataclass(frozen=True)
class NodeRunPlan:
    """What the per-node branch decided, for the rest of the plan."""

    #: The run the status shows (its Jobs' common prefix), None before the first run.
    job_name: str | None
    #: A ``run-now`` value acted on now (to remember on the ConfigMap).
    run_now: str | None = None
    #: Why no run can start (no matching node), if so.
    problem: str | None = None
    #: Seconds until the next schedule time (scheduled assertions only).
    requeue_after: float | None = None


def _wanted_start(
    observed: Observed, own: list[dict[str, Any]], run_jobs: list[dict[str, Any]], now: str
) -> tuple[RunStart | None, str | None, float | None]:
    """The run to start now (if any), the run-now value it consumes, the next look."""
    assertion = observed.assertion
    meta = assertion["metadata"]
    run_now = annotations_of(assertion).get(naming.ANNOTATION_RUN_NOW)
    if run_now and run_now != annotations_of(observed.configmap).get(
        naming.ANNOTATION_LAST_RUN_NOW
    ):
        return RunStart(f"now-{naming.name_hash(str(run_now), 6)}"), str(run_now), None
    schedule = (assertion.get("spec") or {}).get("schedule")
    if schedule:
        start, upcoming = scheduled_start(
            str(schedule), own, run_jobs, str(meta.get("creationTimestamp") or now), now
        )
        moment = parse_rfc3339(now)
        wait = None
        if upcoming is not None and moment is not None:
            wait = max((upcoming - moment).total_seconds(), 0.0) + 0.5
        return start, None, wait
    generation = int(meta.get("generation") or 1)
    run_id = f"g{generation}"
    # Any run made from this spec generation (a run-now one too) is its run.
    already = (assertion.get("status") or {}).get("jobName") == run_prefix(meta["name"], run_id)
    made = {annotations_of(j).get(naming.ANNOTATION_GENERATION) for j in own}
    if already or str(generation) in made:
        return None, None, None
    return RunStart(run_id), None, None


def plan_node_runs(
    result: Plan, observed: Observed, job_spec: dict[str, Any], placement: NodePlacement, now: str
) -> NodeRunPlan:
    """Add the per-node run's writes to ``result``; returns what the status needs."""
    assertion = observed.assertion
    meta = assertion["metadata"]
    if observed.cronjob is not None and owned_by(observed.cronjob, meta["uid"]):
        result.actions.append(delete_action("CronJob", observed.cronjob))
    own = [j for j in observed.jobs if owned_by(j, meta["uid"])]
    run_id, run_jobs = newest_run(own)
    start, run_now, wait = _wanted_start(observed, own, run_jobs, now)
    shown = run_prefix(meta["name"], run_id) if run_id else None
    if observed.nodes is None:
        result.actions += superseded(own, run_id)
        return NodeRunPlan(shown, problem=NODES_UNKNOWN, requeue_after=wait)
    if start is None:
        live = {str(n["metadata"]["name"]) for n in observed.nodes}
        result.actions += superseded(own, run_id)
        result.actions += progress_actions(run_jobs, live, placement)
        return NodeRunPlan(shown, requeue_after=wait)
    nodes = eligible_nodes(observed.nodes, placement)
    if not nodes:
        result.actions += superseded(own, run_id)
        return NodeRunPlan(shown, problem=NO_NODES, requeue_after=wait)
    result.actions += superseded(own, None)
    bodies = run_jobs_bodies(assertion, start, nodes, job_spec, placement)
    result.actions += [Action("create", "Job", b["metadata"]["name"], b) for b in bodies]
    return NodeRunPlan(run_prefix(meta["name"], start.run_id), run_now, None, wait)


def node_gone_events(actions: list[Action]) -> list[EventNote]:
    """A ``NodeLeft`` Warning for each Job given up because its node left mid-run."""
    notes = []
    for action in actions:
        annotations = annotations_of(action.body) if action.verb == "patch" else {}
        if annotations.get(naming.ANNOTATION_NODE_GONE):
            node = annotations.get(naming.ANNOTATION_NODE)
            message = f"node {node} left the cluster during the run; Job {action.name} given up"
            notes.append(EventNote("Warning", "NodeLeft", message))
    return notes
