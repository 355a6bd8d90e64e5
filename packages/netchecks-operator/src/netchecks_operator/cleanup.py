"""Which finished one-shot runs to remove (pure): those whose result the report has taken.

One-shot and run-now Jobs carry no ``ttlSecondsAfterFinished``: a TTL deletes a run
that nobody read when the results service is down for longer. The results service
records the run it shows in the report (``netchecks.io/job-uid``, and ``run-time``, the
Job's creation); the operator, the Jobs' only writer, deletes a finished Job once the
report shows it or a newer run. A Job whose result is never taken (no results
service, a report API that is not served) is deleted ``max_age`` seconds after it
finished at the latest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netchecks_core.meta import annotations_of, metadata_of
from netchecks_core.policyreport import ANNOTATION_JOB_UID, ANNOTATION_RUN_TIME
from netchecks_core.times import parse_rfc3339


def finished_at(job: dict[str, Any]) -> dt.datetime | None:
    """When the Job completed or failed (None while it runs)."""
    status = job.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return parse_rfc3339(cond.get("lastTransitionTime")) or parse_rfc3339(
                status.get("completionTime")
            )
    return None


def result_taken(job: dict[str, Any], report: dict[str, Any] | None) -> bool:
    """Whether ``report`` shows this Job's run, or a run made after it."""
    annotations = annotations_of(report)
    shown_uid = annotations.get(ANNOTATION_JOB_UID)
    if not shown_uid:
        return False
    meta = metadata_of(job)
    if shown_uid == meta.get("uid"):
        return True
    shown = parse_rfc3339(annotations.get(ANNOTATION_RUN_TIME))
    created = parse_rfc3339(meta.get("creationTimestamp"))
    return shown is not None and created is not None and shown > created


def removable_runs(
    jobs: list[dict[str, Any]], report: dict[str, Any] | None, max_age: int, now: str
) -> list[dict[str, Any]]:
    """The finished ``jobs`` to delete: result taken, or finished over ``max_age`` s ago."""
    moment = parse_rfc3339(now)
    removable = []
    for job in jobs:
        finished = finished_at(job)
        if finished is None:
            continue
        expired = moment is not None and (moment - finished).total_seconds() > max_age
        if result_taken(job, report) or expired:
            removable.append(job)
    return removable
