"""Per-kind create/update rules of the real registry strategies (defaults and resets)."""

from __future__ import annotations

import base64
import json
from typing import Any

Obj = dict[str, Any]

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"


def clone(obj: Any) -> Any:
    """A deep copy of a JSON-shaped value (faster than copy.deepcopy)."""
    return json.loads(json.dumps(obj))


def _quantities(resources: Obj | None) -> None:
    """Numeric quantities become strings, as the server canonicalises them."""
    for section in ("limits", "requests", "claims"):
        values = (resources or {}).get(section)
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    values[key] = str(value)


def _image_pull_policy(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    return "Always" if ":" not in tail or tail.endswith(":latest") else "IfNotPresent"


def default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    if "serviceAccountName" not in spec:
        spec["serviceAccountName"] = spec.get("serviceAccount", "default")
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image", "")))
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("resources", {})
            _quantities(container["resources"])
    for volume in spec.get("volumes") or []:
        for source in ("configMap", "secret"):
            if source in volume:
                volume[source].setdefault("defaultMode", 0o644)


def _default_job_counts(spec: Obj) -> None:
    """The JobSpec defaults a Job and a CronJob's ``jobTemplate`` share."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)


def default_job_spec(job: Obj, uid: str) -> None:
    """batch/v1 Job defaulting and selector generation (``generateSelector``)."""
    spec = job.setdefault("spec", {})
    _default_job_counts(spec)
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    template = spec.setdefault("template", {})
    tmeta = template.setdefault("metadata", {})
    if not spec.get("manualSelector"):
        name = job["metadata"]["name"]
        labels = tmeta.setdefault("labels", {})
        labels.update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "job-name": name,
            }
        )
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    if not job["metadata"].get("labels") and tmeta.get("labels"):
        job["metadata"]["labels"] = dict(tmeta["labels"])
    default_pod_spec(template.setdefault("spec", {}))


def default_cronjob_spec(spec: Obj) -> None:
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_spec = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
    _default_job_counts(job_spec)
    default_pod_spec(job_spec.setdefault("template", {}).setdefault("spec", {}))


def prepare_for_create(kind: str, group: str, obj: Obj) -> None:
    """Defaults and status resets applied to a new built-in object."""
    uid = obj["metadata"]["uid"]
    if kind == "Pod":
        default_pod_spec(obj.setdefault("spec", {}))
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif kind == "Job":
        default_job_spec(obj, uid)
        obj["status"] = {}
    elif kind == "CronJob":
        default_cronjob_spec(obj.setdefault("spec", {}))
        obj["status"] = {}
    elif kind == "Namespace":
        obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
        obj["status"] = {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
    elif kind == "Secret":
        _secret(obj)


def prepare_for_update(kind: str, obj: Obj, old: Obj) -> None:
    """Resets on update of a built-in (status preserved elsewhere)."""
    if kind == "Secret":
        _secret(obj)
        if old.get("immutable") and obj.get("data") != old.get("data"):
            obj["data"] = old.get("data")
    if kind == "Namespace":
        obj["spec"] = old.get("spec", {})
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
    if kind == "Pod":
        for container in (obj.get("spec") or {}).get("containers") or []:
            _quantities(container.get("resources"))
    if kind == "CronJob":  # the real server defaults every object it decodes, updates too
        default_cronjob_spec(obj.setdefault("spec", {}))


def _secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def spec_changed(kind: str, new: Obj, old: Obj, builtin: bool, status_sub: bool) -> bool:
    """Does this update bump ``metadata.generation``?"""
    if builtin:
        return new.get("spec") != old.get("spec")
    skip = {"metadata", "status"} if status_sub else {"metadata"}
    rest_new = {k: v for k, v in new.items() if k not in skip | {"apiVersion", "kind"}}
    rest_old = {k: v for k, v in old.items() if k not in skip | {"apiVersion", "kind"}}
    return rest_new != rest_old


TIME_FIELDS = frozenset(
    {
        "creationTimestamp",
        "deletionTimestamp",
        "startTime",
        "completionTime",
        "lastTransitionTime",
        "lastProbeTime",
        "lastScheduleTime",
        "lastSuccessfulTime",
        "firstTimestamp",
        "lastTimestamp",
        "startedAt",
        "finishedAt",
        "lastHeartbeatTime",
        "lastUpdateTime",
    }
)
MICRO_TIME_FIELDS = frozenset({"acquireTime", "renewTime", "eventTime", "lastObservedTime"})


def normalise_times(value: Any) -> None:
    """Re-emit metav1.Time / MicroTime fields in the server's UTC 'Z' form.

    Raises ValueError for a timestamp without a zone, as Go's RFC 3339 parser does.
    """
    from .clock import format_micro_time, format_time, parse_time

    if isinstance(value, dict):
        for key, sub in value.items():
            if isinstance(sub, str) and key in TIME_FIELDS:
                value[key] = format_time(parse_time(sub))
            elif isinstance(sub, str) and key in MICRO_TIME_FIELDS:
                value[key] = format_micro_time(parse_time(sub))
            else:
                normalise_times(sub)
    elif isinstance(value, list):
        for item in value:
            normalise_times(item)
