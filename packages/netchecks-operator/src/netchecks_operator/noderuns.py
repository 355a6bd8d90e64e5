"""Per-node runs (pure): when a run starts, its Jobs, their pacing, and what is removed.

With ``spec.placement.nodes`` the operator makes the runs itself (there is no CronJob): a
run is one Job per matching node, all created together (so the run's set of nodes is
fixed and visible to the results service), each pinned to its node
(:mod:`netchecks_operator.nodes`). Jobs past ``maxConcurrent`` are created suspended and
resumed as earlier ones finish. A Job whose node leaves the cluster before it finished is
suspended (its Pod is removed) and annotated ``netchecks.io/node-gone``; the results
service reports an ``error`` for that node. Only the newest run's Jobs are kept: when a
run starts, the Jobs of every earlier run are deleted, so a run costs N Jobs and N Pods,
and an assertion never holds more than one run of them.

Runs start: once per spec generation (no schedule; run id ``g<generation>``), at each
schedule time (``s<unix minutes>``, the latest missed time only, never while the previous
run is unfinished, as CronJob's ``Forbid``), and once per ``netchecks.io/run-now`` value
(``now-<hash>``; the last value acted on is kept on the ConfigMap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter
from netchecks_core import naming
from netchecks_core.assertion import NodePlacement
from netchecks_core.meta import annotations_of, labels_of, metadata_of
from netchecks_core.times import parse_rfc3339

from netchecks_operator.children import child_meta, delete_action
from netchecks_operator.nodes import pinned_job_spec
from netchecks_operator.plan_model import Action
from netchecks_operator.schedule import go_duration

Obj = dict[str, Any]
_EVERY = "@every"


@dataclass(frozen=True)
class RunStart:
    """A run to start: its id and, for a scheduled run, the schedule time (RFC 3339)."""

    run_id: str
    scheduled_time: str | None = None


def run_id_of(job: Obj) -> str | None:
    """The per-node run a Job belongs to (None: not a per-node Job)."""
    value = labels_of(job).get(naming.LABEL_RUN_ID)
    return str(value) if value else None


def run_prefix(assertion_name: str, run_id: str) -> str:
    """What the status shows as the run's name: its Jobs' common prefix."""
    return naming.fit_name(assertion_name, f"{naming.JOB_SUFFIX}-{run_id}", naming.MAX_LABEL_VALUE)


def finished(job: Obj) -> bool:
    """Complete, failed, or given up because its node left."""
    if annotations_of(job).get(naming.ANNOTATION_NODE_GONE):
        return True
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return True
    return False


def newest_run(jobs: Sequence[Obj]) -> tuple[str | None, list[Obj]]:
    """The newest per-node run (by its Jobs' creation, then id) and its Jobs."""
    runs: dict[str, list[Obj]] = {}
    for job in jobs:
        run_id = run_id_of(job)
        if run_id is not None:
            runs.setdefault(run_id, []).append(job)
    if not runs:
        return None, []
    newest = max(runs, key=lambda r: (max(_created(j) for j in runs[r]), r))
    return newest, runs[newest]


def _created(job: Obj) -> str:
    return str(metadata_of(job).get("creationTimestamp") or "")


def _every(schedule: str) -> timedelta | None:
    text = schedule.strip()
    if not text.startswith(_EVERY):
        return None
    seconds = go_duration(text[len(_EVERY) :].strip())
    return timedelta(seconds=max(seconds or 0.0, 1.0)) if seconds else None


def due_schedule_time(schedule: str, last: datetime, now: datetime) -> datetime | None:
    """The latest schedule time after ``last`` and not after ``now`` (None: none yet).

    Missed times before it are skipped, as the CronJob controller runs only the latest.
    """
    step = _every(schedule)
    if step is not None:
        count = int((now - last) / step)
        return last + step * count if count >= 1 else None
    try:
        latest: datetime = croniter(schedule.strip(), now + timedelta(seconds=1)).get_prev(datetime)
    except (ValueError, KeyError):  # croniter's errors are ValueErrors
        return None
    return latest if latest > last else None


def next_schedule_time(schedule: str, last: datetime, now: datetime) -> datetime | None:
    """The first schedule time after ``now`` (counted from ``last`` for ``@every``)."""
    step = _every(schedule)
    if step is not None:
        return last + step * (int((now - last) / step) + 1)
    try:
        upcoming: datetime = croniter(schedule.strip(), now).get_next(datetime)
    except (ValueError, KeyError):
        return None
    return upcoming


def scheduled_start(
    schedule: str, jobs: Sequence[Obj], run_jobs: Sequence[Obj], created: str, now: str
) -> tuple[RunStart | None, datetime | None]:
    """The scheduled run due now (if any) and the next time to look again: ``jobs`` tell
    the last schedule time acted on, ``run_jobs`` (the newest run's) whether it is busy."""
    moment = parse_rfc3339(now) or datetime.now(UTC)
    times = [parse_rfc3339(annotations_of(j).get(naming.ANNOTATION_SCHEDULED_TIME)) for j in jobs]
    last = max((t for t in times if t is not None), default=None)
    base = last or parse_rfc3339(created) or moment
    due = due_schedule_time(schedule, base, moment)
    busy = bool(run_jobs) and not all(finished(j) for j in run_jobs)
    upcoming = next_schedule_time(schedule, base, moment)
    if due is None or busy:
        return None, upcoming
    return RunStart(f"s{int(due.timestamp())}", due.strftime("%Y-%m-%dT%H:%M:%SZ")), upcoming


def run_jobs_bodies(
    assertion: Obj, start: RunStart, nodes: Sequence[str], job_spec: Obj, placement: NodePlacement
) -> list[Obj]:
    """One Job per node; those past ``maxConcurrent`` suspended."""
    meta = assertion["metadata"]
    generation = int(meta.get("generation") or 1)
    limit = placement.max_concurrent or len(nodes)
    bodies = []
    for index, node in enumerate(nodes):
        name = naming.node_run_job_name(meta["name"], start.run_id, node)
        job_meta = child_meta(assertion, name, generation)
        job_meta["labels"][naming.LABEL_RUN_ID] = start.run_id
        job_meta["annotations"][naming.ANNOTATION_NODE] = node
        if start.scheduled_time:
            job_meta["annotations"][naming.ANNOTATION_SCHEDULED_TIME] = start.scheduled_time
        run_labels = {naming.LABEL_RUN_ID: start.run_id}
        spec = pinned_job_spec(job_spec, node, placement, run_labels)
        spec["suspend"] = index >= limit
        bodies.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": spec})
    return bodies


def _replace(job: Obj, change: dict[str, Any], annotations: dict[str, str]) -> Action:
    # A merge patch of what changes: the cache keeps a trimmed Job (see caching.py), and
    # a patch guarded by the cached resourceVersion cannot undo a newer write.
    meta = metadata_of(job)
    patched_meta: dict[str, Any] = {"resourceVersion": meta.get("resourceVersion")}
    if annotations:
        patched_meta["annotations"] = annotations
    body = {"metadata": patched_meta, "spec": change}
    return Action("patch", "Job", str(meta.get("name")), body)


def progress_actions(
    run_jobs: Sequence[Obj], live_nodes: set[str] | None, placement: NodePlacement
) -> list[Action]:
    """Give up Jobs whose node is gone; resume suspended ones up to ``maxConcurrent``."""
    actions: list[Action] = []
    waiting, active = [], 0
    for job in sorted(run_jobs, key=lambda j: str(annotations_of(j).get(naming.ANNOTATION_NODE))):
        if finished(job):
            continue
        node = annotations_of(job).get(naming.ANNOTATION_NODE)
        if live_nodes is not None and node not in live_nodes:
            # The node is named again (unchanged) for the NodeLeft Event of this patch.
            gone = {naming.ANNOTATION_NODE_GONE: "true", naming.ANNOTATION_NODE: str(node)}
            actions.append(_replace(job, {"suspend": True}, gone))
        elif (job.get("spec") or {}).get("suspend"):
            waiting.append(job)
        else:
            active += 1
    room = (placement.max_concurrent or len(run_jobs)) - active
    actions += [_replace(job, {"suspend": False}, {}) for job in waiting[: max(room, 0)]]
    return actions


def superseded(jobs: Sequence[Obj], keep_run: str | None) -> list[Action]:
    """Delete the per-node Jobs of every run but ``keep_run``, and earlier kinds of run."""
    return [
        delete_action("Job", job) for job in jobs if run_id_of(job) != keep_run or keep_run is None
    ]
