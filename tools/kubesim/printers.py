"""Server-side printing of built-in kinds: the columns kube-apiserver's table printers give.

Each printer turns one object (as the resource serves it) into the cells of a
meta.k8s.io ``TableRow``. The real server always prints "wide" (priority 1 columns
included); kubectl hides priority > 0 columns unless ``-o wide``. Kinds without a
printer get the default convertor's NAME and CREATED AT columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import parse_time
from .printers_workloads import WORKLOAD_PRINTERS
from .printing import (
    DEFAULT,
    Cells,
    Column,
    Obj,
    Printer,
    age,
    age_column,
    as_list,
    containers_cells,
    doc,
    format_label_selector,
    get,
    human_duration,
    meta,
    name_column,
    simple,
    since,
    wide_template_columns,
)

# -- pods ------------------------------------------------------------------------------


def _init_reason(pod: Obj) -> str | None:
    """The Init:... status while init containers have not all succeeded."""
    inits = as_list(get(pod, "spec", "initContainers"))
    for i, status in enumerate(as_list(get(pod, "status", "initContainerStatuses"))):
        terminated = get(status, "state", "terminated")
        waiting = get(status, "state", "waiting")
        if isinstance(terminated, dict) and terminated.get("exitCode") == 0:
            continue
        if isinstance(terminated, dict):
            if terminated.get("reason"):
                return f"Init:{terminated['reason']}"
            if terminated.get("signal"):
                return f"Init:Signal:{terminated['signal']}"
            return f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        if isinstance(waiting, dict) and waiting.get("reason", "PodInitializing") not in (
            "",
            "PodInitializing",
        ):
            return f"Init:{waiting['reason']}"
        return f"Init:{i}/{len(inits)}"
    return None


def _container_reason(status: Obj) -> str | None:
    waiting = get(status, "state", "waiting")
    terminated = get(status, "state", "terminated")
    if isinstance(waiting, dict) and waiting.get("reason"):
        return str(waiting["reason"])
    if isinstance(terminated, dict):
        if terminated.get("reason"):
            return str(terminated["reason"])
        if terminated.get("signal"):
            return f"Signal:{terminated['signal']}"
        return f"ExitCode:{terminated.get('exitCode', 0)}"
    return None


def _pod_cells(pod: Obj, now: datetime) -> Cells:
    """printPod: READY, STATUS (the container's reason wins over the phase), RESTARTS."""
    status = pod.get("status") if isinstance(pod.get("status"), dict) else {}
    assert isinstance(status, dict)
    reason = str(status.get("reason") or status.get("phase") or "")
    restarts, ready, running = 0, 0, False
    last_restart = ""
    init_reason = _init_reason(pod)
    for container in reversed(as_list(status.get("containerStatuses"))):
        restarts += int(container.get("restartCount") or 0)
        finished = get(container, "lastState", "terminated", "finishedAt")
        if isinstance(finished, str) and finished > last_restart:
            last_restart = finished
        container_reason = _container_reason(container)
        if container_reason is not None:
            reason = container_reason
        elif container.get("ready") and get(container, "state", "running") is not None:
            running = True
            ready += 1
    if init_reason is not None:
        reason = init_reason
    elif reason == "Completed" and running:
        conditions = as_list(status.get("conditions"))
        has_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        reason = "Running" if has_ready else "NotReady"
    if meta(pod).get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({since(last_restart, now)} ago)"
    total = len(as_list(get(pod, "spec", "containers")))
    ips = as_list(status.get("podIPs"))
    gates = as_list(get(pod, "spec", "readinessGates"))
    return [
        meta(pod).get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        age(pod, now),
        (ips[0].get("ip") if ips else status.get("podIP")) or "<none>",
        get(pod, "spec", "nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        _readiness_gates(gates, status) if gates else "<none>",
    ]


def _readiness_gates(gates: list[Any], status: Obj) -> str:
    true = {c.get("type") for c in as_list(status.get("conditions")) if c.get("status") == "True"}
    met = sum(1 for g in gates if isinstance(g, dict) and g.get("conditionType") in true)
    return f"{met}/{len(gates)}"


def _pod_conditions(pod: Obj) -> list[Obj]:
    phase = get(pod, "status", "phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


_POD = Printer(
    (
        name_column(),
        Column(
            "Ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        Column("Status", description="The aggregate status of the containers in this pod."),
        Column(
            "Restarts",
            description="The number of times the containers in this pod have been restarted "
            "and when the last container in this pod has restarted.",
        ),
        age_column(),
        Column("IP", priority=1, description=doc("v1", "Pod", "status.podIP")),
        Column("Node", priority=1, description=doc("v1", "Pod", "spec.nodeName")),
        Column(
            "Nominated Node", priority=1, description=doc("v1", "Pod", "status.nominatedNodeName")
        ),
        Column("Readiness Gates", priority=1, description=doc("v1", "Pod", "spec.readinessGates")),
    ),
    _pod_cells,
    _pod_conditions,
)

# -- batch -----------------------------------------------------------------------------


def _has_condition(obj: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in as_list(get(obj, "status", "conditions"))
    )


def _job_status(job: Obj) -> str:
    if _has_condition(job, "Complete"):
        return "Complete"
    if _has_condition(job, "Failed"):
        return "Failed"
    if meta(job).get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if _has_condition(job, kind):
            return kind
    return "Running"


def _job_cells(job: Obj, now: datetime) -> Cells:
    spec = job.get("spec") or {}
    succeeded = int(get(job, "status", "succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    started = get(job, "status", "startTime")
    finished = get(job, "status", "completionTime")
    duration = ""
    if isinstance(started, str) and started:
        end = parse_time(finished) if isinstance(finished, str) and finished else now
        duration = human_duration((end - parse_time(started)).total_seconds())
    return [
        meta(job).get("name", ""),
        _job_status(job),
        completions,
        duration,
        age(job, now),
        *containers_cells(get(spec, "template", "spec")),
        format_label_selector(spec.get("selector")),
    ]


_JOB = Printer(
    (
        name_column(),
        Column("Status", description="Status of the job."),
        Column("Completions", description=doc("batch/v1", "Job", "status.succeeded")),
        Column("Duration", description="Time required to complete the job."),
        age_column(),
        *wide_template_columns("batch/v1", "Job", "spec.selector"),
    ),
    _job_cells,
)


def _bool_pointer(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _cronjob_cells(cronjob: Obj, now: datetime) -> Cells:
    spec = cronjob.get("spec") or {}
    last = get(cronjob, "status", "lastScheduleTime")
    return [
        meta(cronjob).get("name", ""),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        _bool_pointer(spec.get("suspend")),
        len(as_list(get(cronjob, "status", "active"))),
        since(last, now) if last else "<none>",
        age(cronjob, now),
        *containers_cells(get(spec, "jobTemplate", "spec", "template", "spec")),
        format_label_selector(get(spec, "jobTemplate", "spec", "selector")),
    ]


_CRONJOB = Printer(
    (
        name_column(),
        Column("Schedule", description=doc("batch/v1", "CronJob", "spec.schedule")),
        Column("Timezone", description=doc("batch/v1", "CronJob", "spec.timeZone")),
        Column("Suspend", "boolean", description=doc("batch/v1", "CronJob", "spec.suspend")),
        Column("Active", "integer", description=doc("batch/v1", "CronJob", "status.active")),
        Column("Last Schedule", description=doc("batch/v1", "CronJob", "status.lastScheduleTime")),
        age_column(),
        *wide_template_columns("batch/v1", "Job", "spec.selector"),
    ),
    _cronjob_cells,
)


# -- core objects ----------------------------------------------------------------------


def _count(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


_NAMESPACE = simple(
    (Column("Status", description="The status of the namespace"),),
    lambda o: [get(o, "status", "phase") or ""],
)
_CONFIGMAP = simple(
    (Column("Data", "integer", description=doc("v1", "ConfigMap", "data")),),
    lambda o: [_count(o.get("data")) + _count(o.get("binaryData"))],
)
_SECRET = simple(
    (
        Column("Type", description=doc("v1", "Secret", "type")),
        Column("Data", "integer", description=doc("v1", "Secret", "data")),
    ),
    lambda o: [o.get("type", ""), _count(o.get("data"))],
)
_SERVICEACCOUNT = simple(
    (Column("Secrets", "integer", description=doc("v1", "ServiceAccount", "secrets")),),
    lambda o: [_count(o.get("secrets"))],
)
_LEASE = simple(
    (Column("Holder", description=doc("coordination.k8s.io/v1", "Lease", "spec.holderIdentity")),),
    lambda o: [get(o, "spec", "holderIdentity") or ""],
)


def _event_cells(event: Obj, now: datetime) -> Cells:
    """printEvent, for core/v1 and events.k8s.io/v1 shapes alike (one storage)."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    source = event.get("source") or event.get("deprecatedSource") or {}
    first_ts = event.get("firstTimestamp") or event.get("deprecatedFirstTimestamp")
    last_ts = event.get("lastTimestamp") or event.get("deprecatedLastTimestamp")
    first = since(first_ts or event.get("eventTime"), now)
    last = since(last_ts, now) if last_ts else first
    count = event.get("count") or event.get("deprecatedCount") or 0
    series = event.get("series")
    if isinstance(series, dict):
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif not count:
        count = 1
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = source.get("component") or event.get("reportingComponent") or ""
    component = component or event.get("reportingController") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    message = event.get("message") if "message" in event else event.get("note")
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        str(message or "").strip(),
        first,
        count,
        meta(event).get("name", ""),
    ]


_EVENT = Printer(
    (
        Column("Last Seen", description=doc("v1", "Event", "lastTimestamp")),
        Column("Type", description=doc("v1", "Event", "type")),
        Column("Reason", description=doc("v1", "Event", "reason")),
        Column("Object", description=doc("v1", "Event", "involvedObject")),
        Column("Subobject", priority=1, description=doc("v1", "Event", "involvedObject.fieldPath")),
        Column("Source", priority=1, description=doc("v1", "Event", "source")),
        Column("Message", description=doc("v1", "Event", "message")),
        Column("First Seen", priority=1, description=doc("v1", "Event", "firstTimestamp")),
        Column("Count", priority=1, description=doc("v1", "Event", "count")),
        Column("Name", priority=1, format="name", description=doc("v1", "Event", "metadata.name")),
    ),
    _event_cells,
)

PRINTERS: dict[tuple[str, str], Printer] = {
    **WORKLOAD_PRINTERS,
    ("", "Namespace"): _NAMESPACE,
    ("", "ConfigMap"): _CONFIGMAP,
    ("", "Secret"): _SECRET,
    ("", "ServiceAccount"): _SERVICEACCOUNT,
    ("", "Pod"): _POD,
    ("", "Event"): _EVENT,
    ("events.k8s.io", "Event"): _EVENT,
    ("batch", "Job"): _JOB,
    ("batch", "CronJob"): _CRONJOB,
    ("coordination.k8s.io", "Lease"): _LEASE,
}


def builtin_printer(group: str, kind: str) -> Printer:
    """The printer of a built-in kind (the default convertor's for the others)."""
    return PRINTERS.get((group, kind), DEFAULT)
