"""Probe Pods as runs: what a finished (or stuck) Pod says about its run, without I/O.

A run is ordered by facts no user can forge (see :mod:`netchecks_results.trust`):
its Job's creation time (set by the API server), then the assertion generation the
operator stamped on the Job (it breaks ties within one second), then when its Pod
started, then when it finished. So an older run finishing late never replaces a newer
one, and a retry of one run replaces the try before it. Annotations users can set on
their own objects (such as the CronJob controller's scheduled timestamp on a hand-made
Job) are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from netchecks_core.meta import metadata_of
from netchecks_core.naming import (
    ANNOTATION_ASSERTION,
    ANNOTATION_GENERATION,
    LABEL_ASSERTION_UID,
    LABEL_RUN_ID,
)
from netchecks_core.times import parse_rfc3339
from netchecks_service.cachefilters import compact, trimmed_metadata

from netchecks_results.parse import ParseFailure

#: Container names the probe container goes by; otherwise the one running the probe image.
PROBE_CONTAINER_NAMES = ("netcheck", "probe", "netchecks", "netchecks-probe")
#: Waiting reasons after which a container will not start without someone fixing something.
STUCK_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: How runs are ordered: run time, assertion generation, start, finish (see the module
#: docstring).
RunOrder = tuple[datetime, int, datetime, datetime]


@dataclass(frozen=True)
class ProbeRun:
    """One probe Pod, reduced to what the results service needs."""

    namespace: str
    pod_name: str
    pod_uid: str
    assertion_uid: str
    #: From the ``netchecks.io/assertion`` annotation (None if missing).
    assertion_name: str | None
    phase: str
    #: The container whose log holds the result (None: the Pod's only container).
    container: str | None
    job_name: str | None
    created: datetime
    started: datetime | None
    finished: datetime | None
    exit_code: int | None
    #: The terminated container's reason (``Completed``, ``Error``, ``OOMKilled``...). Its
    #: termination message is not kept: with FallbackToLogsOnError it is the log's tail.
    reason: str | None
    #: The waiting reason of a container that never started (``ErrImagePull``...).
    waiting_reason: str | None
    waiting_message: str | None
    pod_reason: str | None
    pod_message: str | None
    #: When the run's Job was created (None if the Job is not known).
    job_created: datetime | None = None
    job_uid: str | None = None
    #: The assertion generation stamped on the run's Job: orders runs created in the
    #: same second (Kubernetes timestamps have one-second resolution).
    generation: int = 0
    #: The per-node run its Job belongs to (``netchecks.io/run-id``; None: an ordinary run).
    run_id: str | None = None

    @property
    def done(self) -> bool:
        """Finished, or stuck in a way that needs a person: either way, worth a report."""
        return self.phase in ("Succeeded", "Failed") or self.stuck

    @property
    def stuck(self) -> bool:
        """Pending with a container that cannot start (image pull and config errors)."""
        return self.phase == "Pending" and self.waiting_reason in STUCK_REASONS

    @property
    def run_time(self) -> datetime:
        """When the run was made: its Job's creation, else the Pod's."""
        return self.job_created or self.created

    @property
    def order_key(self) -> RunOrder:
        """Later runs sort after earlier ones (then newer specs); retries by their start.

        Runs alike to the second in all of these (one-second timestamps) sort by when they
        finished: the later result is the newer one. A run still stuck sorts as finished
        when it started.
        """
        started = self.started or self.created
        return (self.run_time, self.generation, started, self.finished or started)

    @property
    def completed_at(self) -> datetime | None:
        """When the probe container finished (None while stuck)."""
        return self.finished


def _probe_container(spec: dict[str, Any]) -> str | None:
    containers = spec.get("containers") or []
    if len(containers) <= 1:
        return None
    names = [c.get("name") for c in containers]
    for wanted in PROBE_CONTAINER_NAMES:
        if wanted in names:
            return wanted
    for container in containers:
        repository = str(container.get("image") or "").split("@")[0].rsplit(":", 1)[0]
        if repository.endswith("netchecks-probe"):
            return str(container.get("name"))
    return str(names[0])


def _job_name(meta: dict[str, Any]) -> str | None:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == "Job":
            return str(ref.get("name"))
    labels = meta.get("labels") or {}
    return labels.get("batch.kubernetes.io/job-name") or labels.get("job-name")


def probe_pod_fields(pod: dict[str, Any]) -> dict[str, Any]:
    """What :func:`probe_run` reads of a Pod (the cache keeps only this, see ``cachefilters``).

    Metadata, the containers' names and images, and the phase, reasons and container
    states of the status: the rest of a Pod (volumes, env, conditions) is never read.
    """
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    kept: dict[str, Any] = {k: pod[k] for k in ("apiVersion", "kind") if k in pod}
    kept["metadata"] = trimmed_metadata(pod)
    kept["spec"] = {
        "containers": [
            {k: c[k] for k in ("name", "image") if k in c}
            for c in spec.get("containers") or []
            if isinstance(c, dict)
        ]
    }
    kept["status"] = {k: status[k] for k in _POD_STATUS_FIELDS if k in status}
    kept["status"]["containerStatuses"] = [
        {k: c[k] for k in ("name", "state") if k in c}
        for c in status.get("containerStatuses") or []
        if isinstance(c, dict)
    ]
    return dict(compact(kept))


_POD_STATUS_FIELDS = ("phase", "reason", "message", "startTime")


def probe_run(pod: dict[str, Any], job: dict[str, Any] | None = None) -> ProbeRun | None:
    """The run of a probe Pod (and its Job, when known); None if it is not a probe Pod."""
    meta = metadata_of(pod)
    labels = meta.get("labels") or {}
    uid = labels.get(LABEL_ASSERTION_UID)
    if not uid:
        return None
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    container = _probe_container(spec)
    statuses = status.get("containerStatuses") or []
    chosen = next((s for s in statuses if s.get("name") == container), None)
    if chosen is None and statuses:
        chosen = statuses[0]
    state = (chosen or {}).get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    created = parse_rfc3339(meta.get("creationTimestamp")) or _EPOCH
    exit_code = terminated.get("exitCode")
    started = parse_rfc3339(terminated.get("startedAt")) or parse_rfc3339(status.get("startTime"))
    run = ProbeRun(
        namespace=str(meta.get("namespace") or ""),
        pod_name=str(meta.get("name") or ""),
        pod_uid=str(meta.get("uid") or ""),
        assertion_uid=str(uid),
        assertion_name=(meta.get("annotations") or {}).get(ANNOTATION_ASSERTION),
        phase=str(status.get("phase") or "Pending"),
        container=container,
        job_name=_job_name(meta),
        created=created,
        started=started,
        finished=parse_rfc3339(terminated.get("finishedAt")),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        reason=terminated.get("reason"),
        waiting_reason=waiting.get("reason"),
        waiting_message=waiting.get("message"),
        pod_reason=status.get("reason"),
        pod_message=status.get("message"),
    )
    return run if job is None else with_job(run, job)


def with_job(run: ProbeRun, job: dict[str, Any]) -> ProbeRun:
    """``run`` dated and ordered by its Job (as read from the API server)."""
    meta = metadata_of(job)
    return replace(
        run,
        job_created=parse_rfc3339(meta.get("creationTimestamp")),
        job_uid=str(meta["uid"]) if meta.get("uid") else None,
        generation=generation_of(meta.get("annotations") or {}),
        run_id=(meta.get("labels") or {}).get(LABEL_RUN_ID) or None,
    )


def generation_of(annotations: dict[str, Any]) -> int:
    """The assertion generation an object's annotations name (0 when none or not a number)."""
    value = annotations.get(ANNOTATION_GENERATION, "")
    return int(value) if str(value).isdigit() else 0


@dataclass(frozen=True)
class RunFailure:
    """A run that gave no usable result: a stable reason code and a message for people."""

    reason: str
    message: str


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _clip(text: str, limit: int = 300) -> str:
    """``text`` on one line, clipped: a detail quoted in a sentence."""
    return clip(" ".join(text.split()), limit)


def _state_sentence(run: ProbeRun) -> tuple[str, str]:
    pod = f"probe Pod {run.pod_name}"
    if run.stuck:
        detail = f": {_clip(run.waiting_message)}" if run.waiting_message else ""
        if run.waiting_reason in {"ErrImagePull", "ImagePullBackOff", "InvalidImageName"}:
            sentence = f"the {pod} could not pull its image ({run.waiting_reason}{detail})"
            return "image-pull", sentence
        return "container-not-started", f"the {pod} could not start ({run.waiting_reason}{detail})"
    if run.reason == "OOMKilled":
        code = f", exit code {run.exit_code}" if run.exit_code is not None else ""
        return "oom-killed", f"the {pod} was killed for using too much memory (OOMKilled{code})"
    if run.pod_reason == "DeadlineExceeded":
        return "deadline-exceeded", f"the {pod} ran longer than its deadline (DeadlineExceeded)"
    if run.pod_reason:
        detail = f": {_clip(run.pod_message)}" if run.pod_message else ""
        return "pod-failed", f"the {pod} failed ({run.pod_reason}{detail})"
    if run.phase == "Failed":
        parts = [f"exit code {run.exit_code}"] if run.exit_code is not None else []
        if run.reason:
            parts.append(f"reason {run.reason}")
        detail = f" ({', '.join(parts)})" if parts else ""
        return "pod-failed", f"the {pod} failed{detail}"
    code = f" (exit code {run.exit_code})" if run.exit_code is not None else ""
    return "", f"the {pod} finished{code}"


def describe_failure(
    run: ProbeRun,
    *,
    parse_failure: ParseFailure | None = None,
    log_error: str | None = None,
) -> RunFailure:
    """Why ``run`` has no result: the Pod's state, then what was wrong with its log."""
    code, sentence = _state_sentence(run)
    if log_error is not None:
        return RunFailure(
            code or "log-unavailable", f"{sentence}; its log could not be read: {_clip(log_error)}"
        )
    if parse_failure is not None:
        return RunFailure(
            code or parse_failure.reason,
            f"{sentence} but {parse_failure.describe()}"
            if not code
            else f"{sentence}; {parse_failure.describe()}",
        )
    return RunFailure(code or "no-output", sentence)
