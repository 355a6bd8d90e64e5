"""What the operator's caches keep of each object, and which changes wake a reconcile.

The plan reads little of each child (see plan.py, cleanup.py, mounts.py): a ConfigMap's
or CronJob's identity, owner and annotations (its content is compared through the
spec-hash annotation), a Job's identity and a few status fields, a report's annotations,
summary and the times and messages of its results. The informers keep only those
(transforms), file Jobs under their assertion's UID (an index: a reconcile reads one
assertion's Jobs without a scan), and report only changes the plan reads (predicates):
the echo of the operator's own writes, a CronJob's or a scheduled Job's progress
(``active``, ``ready``, ``Complete``), an assertion's status: none wakes a reconcile.

Equal small dicts are one read-only dict shared by the objects holding them
(``cachefilters.shared``): an assertion's children's labels, its Jobs' annotations, a
finished Job's counts, a report's summary. Changing one in place raises ``TypeError``;
copy a cached object before changing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import KIND
from netchecks_core.meta import annotations_of, metadata_of
from netchecks_core.policyreport import (
    ANNOTATION_FAILING_NODE_COUNT,
    ANNOTATION_FAILING_NODES,
    ANNOTATION_JOB_UID,
    ANNOTATION_NODES,
    ANNOTATION_RUN_FAILURE,
    ANNOTATION_RUN_TIME,
)
from netchecks_service.cachefilters import (
    KEPT_METADATA,
    UNIQUE_METADATA,
    Obj,
    Predicate,
    changed_except_status,
    compact,
    keep,
    shared,
)
from netchecks_service.cacheindex import IndexFunc, label_index

from netchecks_operator.children import run_kind
from netchecks_operator.cleanup import finished_at

#: The Jobs index: Jobs by the UID of the assertion they run (their label).
BY_ASSERTION = "assertion-uid"
JOB_INDEXERS: dict[str, IndexFunc] = {BY_ASSERTION: label_index(naming.LABEL_ASSERTION_UID)}

#: The labels and annotations the operator reads of its children: its own (``netchecks.io/``).
OUR_PREFIXES = ("netchecks.io/",)
#: The owner references it reads: to an assertion (whose child an object is). A Job's
#: reference to the CronJob that made it is never read (its annotations name the assertion).
OWNER_KINDS = (KIND,)
#: Of a child's metadata: not its generation (the assertion's is in an annotation).
CHILD_METADATA = tuple(f for f in KEPT_METADATA if f != "generation")
#: The metadata values of a ConfigMap or CronJob no other cached object repeats: its
#: resourceVersion and its uid (a Job's uid is repeated by the report of its run).
ONLY_CHILD_METADATA = (*UNIQUE_METADATA, "uid")
#: A ConfigMap: metadata only (its data is compared by the spec-hash annotation), and
#: neither its labels nor its creation time.
configmap_fields = keep(
    prefixes=OUR_PREFIXES,
    metadata=tuple(f for f in CHILD_METADATA if f not in ("labels", "creationTimestamp")),
    owners=OWNER_KINDS,
    unique=ONLY_CHILD_METADATA,
)
#: A CronJob: metadata only (content compared by its hash; its assertion-uid label and its
#: creation time are read).
cronjob_fields = keep(
    prefixes=OUR_PREFIXES,
    metadata=CHILD_METADATA,
    owners=OWNER_KINDS,
    unique=ONLY_CHILD_METADATA,
    share=("labels",),
)
#: Of a Job's labels and annotations, only ours are read (its assertion, generation, run).
#: Both are shared (read-only) with the assertion's other Jobs, its CronJob's and report's
#: labels: the same assertion UID, name and generation (see ``cachefilters.shared``).
_job_fields = keep(
    status=("ready", "succeeded", "conditions", "completionTime"),
    prefixes=OUR_PREFIXES,
    metadata=CHILD_METADATA,
    owners=OWNER_KINDS,
    share=("labels", "annotations"),
)
#: Of a Job's spec, only whether it is suspended (per-node runs wait suspended).
JOB_SPEC_FIELDS = ("suspend",)
CONDITION_FIELDS = ("type", "status", "reason", "message", "lastTransitionTime")
#: Assertions: spec and status, trimmed metadata (every label and annotation: users'
#: annotations such as run-now are read).
assertion_fields = keep("spec", "status")
#: What the plan reads of a report's results (their properties hold the large spec/data).
REPORT_RESULT_FIELDS = ("policy", "rule", "result", "timestamp", "message")
#: The label and annotations the operator reads of a report: whose it is, the run it
#: shows (cleanup.py, status.py), a run failure, and a per-node run's node counts.
REPORT_KEYS = (
    naming.LABEL_ASSERTION_UID,
    ANNOTATION_JOB_UID,
    ANNOTATION_RUN_TIME,
    naming.ANNOTATION_GENERATION,
    ANNOTATION_RUN_FAILURE,
    ANNOTATION_NODES,
    ANNOTATION_FAILING_NODE_COUNT,
    ANNOTATION_FAILING_NODES,
)
#: Of a report's metadata: not its uid and generation (never read). Its owner references
#: are kept whole: a report owned by anything else is not about an assertion (kube.py).
REPORT_METADATA = tuple(f for f in KEPT_METADATA if f not in ("uid", "generation"))
_report_fields = keep("summary", prefixes=REPORT_KEYS, metadata=REPORT_METADATA, share=("labels",))


def job_fields(job: Obj) -> Obj:
    """A Job: metadata and the status the plan reads: its start, its failure, and for the
    one-shot and run-now Jobs it removes once their result is taken, its end."""
    kept = _job_fields(job)
    spec = job.get("spec")
    if isinstance(spec, dict) and any(spec.get(k) for k in JOB_SPEC_FIELDS):
        # Only a true value: a Job not suspended and one without the field are alike.
        kept["spec"] = {k: spec[k] for k in JOB_SPEC_FIELDS if spec.get(k)}
    status = kept.get("status")
    if not isinstance(status, dict):
        return kept
    scheduled = is_scheduled_run(kept)
    read = ("Failed",) if scheduled else ("Complete", "Failed")
    if scheduled:
        status.pop("completionTime", None)
    if isinstance(status.get("conditions"), list):
        status["conditions"] = [
            {k: c[k] for k in CONDITION_FIELDS if k in c}
            for c in status["conditions"]
            if isinstance(c, dict) and c.get("type") in read
        ]
    # No count, no condition and none at all read alike (``started``, ``failed``). Counts
    # alone (most finished Jobs: ``{"succeeded": 1}``) are shared, read-only.
    kept["status"] = shared({k: v for k, v in status.items() if v})
    if not kept["status"]:
        del kept["status"]
    return kept


def report_fields(report: Obj) -> Obj:
    """A PolicyReport with its summary (shared, read-only: most are alike) and the results'
    outcome, time and message only."""
    kept = _report_fields(report)
    if isinstance(kept.get("summary"), dict):
        kept["summary"] = shared(kept["summary"])
    results = report.get("results")
    if isinstance(results, list):
        kept["results"] = compact(
            [
                {k: r[k] for k in REPORT_RESULT_FIELDS if k in r}
                for r in results
                if isinstance(r, dict)
            ]
        )
    return kept


def failed(job: Obj | None) -> bool:
    """Whether the Job has failed (its ``Failed`` condition is true)."""
    conditions = ((job or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Failed" and c.get("status") == "True" for c in conditions)


def started(job: Obj) -> bool:
    """Whether a Pod of the Job got past mounting its volumes (ready or done)."""
    status = job.get("status") or {}
    return bool(status.get("ready") or status.get("succeeded"))


def is_scheduled_run(job: Obj) -> bool:
    """A Job the CronJob made (the operator makes one-shot, run-now and per-node Jobs)."""
    return run_kind(job) is None and naming.ANNOTATION_NODE not in annotations_of(job)


def job_update_matters(cannot_mount: Callable[[str, str], bool]) -> Predicate:
    """The Jobs' update predicate: a change the plan acts on.

    Metadata, a failure (shown in status), the end of a one-shot or run-now Job (it is
    removed once its result is taken), and a start that clears a mount failure
    (``cannot_mount(namespace, job name)``: the Job's Pods reported one).
    """

    def matters(cached: Obj, incoming: Obj) -> bool:
        if changed_except_status(cached, incoming) or failed(cached) != failed(incoming):
            return True
        if not is_scheduled_run(incoming) and finished_at(cached) != finished_at(incoming):
            return True
        if started(cached) == started(incoming):
            return False
        meta = metadata_of(incoming)
        return cannot_mount(str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    return matters


def reported_job_uid(report: dict[str, Any] | None) -> str | None:
    """The UID of the Job whose run ``report`` shows."""
    value = (metadata_of(report).get("annotations") or {}).get(ANNOTATION_JOB_UID)
    return value if isinstance(value, str) else None
