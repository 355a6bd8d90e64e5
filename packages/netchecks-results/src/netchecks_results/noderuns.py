"""Per-node runs as the results service sees them (pure): a run's Jobs, one per node.

The operator creates every Job of a per-node run at once (``netchecks.io/run-id``, the
node in ``netchecks.io/node``), each controlled by the assertion, so the Jobs are the
run's set of nodes. The run is reported once every Job is settled: complete, failed, or
given up because its node left the cluster (``netchecks.io/node-gone``). A node whose
probe Pod never ran, or gave no result, gets an ``error`` result saying why: a node is
never silently missing from the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from netchecks_core.meta import annotations_of, labels_of, metadata_of
from netchecks_core.naming import ANNOTATION_NODE, ANNOTATION_NODE_GONE, LABEL_RUN_ID
from netchecks_core.times import parse_rfc3339
from netchecks_service.cachefilters import keep

from netchecks_results.runs import ProbeRun, RunFailure, clip
from netchecks_results.trust import controller_of


def run_jobs(
    jobs: Iterable[dict[str, Any]], run_id: str, assertion_uid: str
) -> list[dict[str, Any]]:
    """The Jobs of run ``run_id`` controlled by the assertion (what the operator made)."""
    out = []
    for job in jobs:
        ref = controller_of(job)
        if labels_of(job).get(LABEL_RUN_ID) != run_id or ref is None:
            continue
        if ref.get("uid") == assertion_uid and annotations_of(job).get(ANNOTATION_NODE):
            out.append(job)
    return out


#: What is read of a Job's conditions: whether, and when, it settled.
_SETTLED_TYPES = ("Complete", "Failed")
_CONDITION_FIELDS = ("type", "status", "lastTransitionTime")


def job_fields(job: dict[str, Any]) -> dict[str, Any]:
    """What the cache keeps of a Job: its controller chain (metadata) and, for per-node
    runs, whether and when it settled (see :func:`settled`)."""
    kept = keep()(job)
    conditions = (job.get("status") or {}).get("conditions")
    if isinstance(conditions, list):
        settling = [
            {k: c[k] for k in _CONDITION_FIELDS if k in c}
            for c in conditions
            if isinstance(c, dict) and c.get("type") in _SETTLED_TYPES
        ]
        if settling:
            kept["status"] = {"conditions": settling}
    return kept


def node_of(job: dict[str, Any]) -> str:
    """The node a per-node Job is pinned to."""
    return str(annotations_of(job).get(ANNOTATION_NODE))


def _condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return dict(cond)
    return None


def gone(job: dict[str, Any]) -> bool:
    """The operator gave the Job up: its node left the cluster mid-run."""
    return bool(annotations_of(job).get(ANNOTATION_NODE_GONE))


def settled(job: dict[str, Any]) -> bool:
    """The Job will not change the node's result any more."""
    finished = _condition(job, "Complete") or _condition(job, "Failed")
    return gone(job) or finished is not None


def pod_may_be_in_flight(
    job: dict[str, Any], pod_run: ProbeRun | None, now: datetime, grace: float
) -> bool:
    """A settled Job whose finished Pod is not cached yet, within ``grace`` seconds of the
    Job finishing: Pods and Jobs come through separate watches, so look again shortly
    rather than report the node as having no Pod."""
    if pod_run is not None or gone(job):
        return False
    cond = _condition(job, "Complete") or _condition(job, "Failed")
    finished = parse_rfc3339((cond or {}).get("lastTransitionTime"))
    return finished is not None and (now - finished).total_seconds() < grace


def newest_pod_run(runs: Sequence[ProbeRun], job: dict[str, Any]) -> ProbeRun | None:
    """The last try (by start, then finish) of the Job's probe Pod, if one finished."""
    uid = metadata_of(job).get("uid")
    mine = [r for r in runs if r.job_uid == uid]
    return max(mine, key=lambda r: r.order_key) if mine else None


def no_pod_failure(job: dict[str, Any]) -> RunFailure:
    """Why a node has no result when its Job left no finished probe Pod."""
    node = node_of(job)
    name = metadata_of(job).get("name")
    if gone(job):
        return RunFailure(
            "node-gone", f"node {node} left the cluster before its probe gave a result"
        )
    failed = _condition(job, "Failed")
    if failed is not None:
        detail = failed.get("message") or failed.get("reason") or "failed"
        return RunFailure(
            "probe-never-ran",
            f"the probe Job {name} for node {node} failed without a finished probe Pod "
            f"({clip(' '.join(str(detail).split()), 300)})",
        )
    return RunFailure("no-output", f"the probe Job {name} for node {node} left no probe Pod")


def run_marker(newest: ProbeRun, jobs: Sequence[dict[str, Any]]) -> ProbeRun:
    """The run as the report's marker names it: one identity for the whole per-node run
    (its id and node count stand in for a Pod UID), dated by its newest Pod."""
    identity = f"run:{newest.run_id}:{len(jobs)}"
    return replace(newest, pod_uid=identity, phase="Settled")
