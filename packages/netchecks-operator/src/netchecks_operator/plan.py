"""The reconcile plan (pure): an assertion and its observed children -> actions and status.

:func:`plan` never does I/O and never depends on why it was called: given the
same assertion and observed objects it returns the same plan. Applying the plan
and planning again yields no actions (the fixed point), which is what keeps
requests per assertion at the minimum.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from netchecks_core import naming
from netchecks_core.assertion import API_VERSION, KIND, NetworkAssertionSpec
from netchecks_core.convert import probe_config_from_spec
from netchecks_core.rules import RULE_ADAPTER

from netchecks_operator import status as st
from netchecks_operator.cleanup import removable_runs
from netchecks_operator.podtemplate import CONFIG_KEY, TemplateError, pod_template
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.validate import parse_spec, spec_problems

#: On Jobs the operator makes: ``once`` (one per spec generation) or ``now`` (run-now).
ANNOTATION_RUN = "netchecks.io/run"

ChildKind = Literal["ConfigMap", "CronJob", "Job"]


@dataclass(frozen=True)
class Action:
    """One write: create or replace ``body``, or delete ``kind/name`` (guarded by ``uid``)."""

    verb: Literal["create", "replace", "delete"]
    kind: ChildKind
    name: str
    body: dict[str, Any] | None = None
    uid: str | None = None

    def __str__(self) -> str:
        return f"{self.verb} {self.kind} {self.name}"


@dataclass(frozen=True)
class EventNote:
    """An Event to record on the assertion."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Observed:
    """What exists now (from the caches): the assertion and the children found for it."""

    assertion: dict[str, Any]
    configmap: dict[str, Any] | None = None
    cronjob: dict[str, Any] | None = None
    jobs: Sequence[dict[str, Any]] = ()
    report: dict[str, Any] | None = None


@dataclass
class Plan:
    """The writes to make, in order, the status to hold afterwards, and events to record."""

    actions: list[Action] = field(default_factory=list)
    status: dict[str, Any] | None = None
    events: list[EventNote] = field(default_factory=list)
    #: Why nothing is created (InvalidSpec), for logs and metrics.
    invalid: list[str] = field(default_factory=list)


class NameTakenError(Exception):
    """A child's name is used by an object this assertion does not own."""


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
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == uid and r.get("controller") for r in refs)


def spec_hash(obj: dict[str, Any]) -> str:
    """A hash of what the operator sets on a child (labels, annotations, spec or data)."""
    meta = obj.get("metadata") or {}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k != naming.ANNOTATION_SPEC_HASH
    }
    content = {
        "labels": meta.get("labels") or {},
        "annotations": annotations,
        "spec": obj.get("spec"),
        "data": obj.get("data"),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _with_hash(obj: dict[str, Any]) -> dict[str, Any]:
    obj["metadata"].setdefault("annotations", {})[naming.ANNOTATION_SPEC_HASH] = spec_hash(obj)
    return obj


def _observed_hash(obj: dict[str, Any] | None) -> str | None:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
    value = annotations.get(naming.ANNOTATION_SPEC_HASH)
    return value if isinstance(value, str) else None


def _timeout_of(rule: dict[str, Any]) -> float:
    raw = rule.get("timeout")
    timeout = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    try:
        model = RULE_ADAPTER.validate_python(rule)
        base = model.effective_timeout if timeout is None else timeout
        return base * (model.retries + 1) + model.retry_delay * model.retries
    except ValueError:  # templated fields: the type's default applies until rendered
        return timeout if timeout is not None else 30.0


def run_deadline(spec: NetworkAssertionSpec, margin: int) -> int:
    """``activeDeadlineSeconds`` of a run: rules run concurrently, so the longest one counts."""
    longest = max((_timeout_of(rule) for rule in spec.rules), default=30.0)
    return int(longest) + margin


def _schedule_problem(schedule: str | None) -> str | None:
    if schedule is None:
        return None
    text = schedule.strip()
    if "TZ=" in text:
        return "spec.schedule: time zones in the schedule are not supported by Kubernetes"
    if text.startswith("@"):
        known = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
        if text in known or text.startswith("@every "):
            return None
        return f"spec.schedule: unknown macro {text!r}"
    if len(text.split()) != 5:
        return f"spec.schedule: {text!r} is not a 5-field cron schedule"
    return None


def _meta(assertion: dict[str, Any], name: str, generation: int | None) -> dict[str, Any]:
    meta = assertion["metadata"]
    return {
        "name": name,
        "namespace": meta["namespace"],
        "labels": naming.child_labels(meta["uid"]),
        "annotations": naming.child_annotations(meta["name"], generation),
        "ownerReferences": [owner_reference(assertion)],
    }


def _job(
    assertion: dict[str, Any], name: str, job_spec: dict[str, Any], run: str
) -> dict[str, Any]:
    # No ttlSecondsAfterFinished: a TTL would delete a run nobody read if the results
    # service is down for longer; the operator removes it once its result is taken
    # (see cleanup.py).
    meta = _meta(assertion, name, int(assertion["metadata"].get("generation") or 1))
    meta["annotations"][ANNOTATION_RUN] = run
    spec = copy.deepcopy(job_spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}


def _created(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def _job_failed(job: dict[str, Any]) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Failed" and cond.get("status") == "True":
            return str(cond.get("message") or cond.get("reason") or "the probe Job failed")
    return None


def plan(
    assertion: dict[str, Any], observed: Observed, settings: OperatorSettings, now: str
) -> Plan:
    """What to write for ``assertion`` given what exists (see the module docstring)."""
    meta = assertion.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return Plan()  # owner references let the garbage collector remove the children
    uid, name = meta["uid"], meta["name"]
    generation = int(meta.get("generation") or 1)
    old_status = assertion.get("status") or {}
    previous = st.previous_condition(old_status)
    result = Plan()

    spec, problems = parse_spec(assertion.get("spec"))
    if spec is not None:
        problems = spec_problems(spec)
        if problem := _schedule_problem(spec.schedule):
            problems.append(problem)
    template: dict[str, Any] | None = None
    if spec is not None and not problems:
        try:
            template = pod_template(
                assertion_name=name,
                assertion_uid=uid,
                generation=generation,
                configmap=naming.configmap_name(name),
                contexts=spec.context,
                overrides=spec.template,
                image=settings.probe_image,
                pull_policy=settings.probe_image_pull_policy,
                resources=settings.probe_resources.model_dump(exclude_defaults=False),
                disable_redaction=spec.disableRedaction,
                defaults=settings.probe_pod_defaults,
            )
        except TemplateError as error:
            problems.append(str(error))
    if spec is None or template is None or problems:
        message = "; ".join(problems)
        result.invalid = problems
        result.events.append(EventNote("Warning", st.INVALID_SPEC, message))
        result.status = _status(
            old_status,
            previous,
            generation=generation,
            cond_status="False",
            reason=st.INVALID_SPEC,
            message=message,
            now=now,
            observed=observed,
        )
        return result

    # -- the ConfigMap holding the probe config -----------------------------------------
    config = probe_config_from_spec(spec)
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(assertion, naming.configmap_name(name), None),
        "data": {CONFIG_KEY: json.dumps(config, sort_keys=True, separators=(",", ":"))},
    }
    _with_hash(configmap)
    _ensure(result, "ConfigMap", configmap, observed.configmap, uid)

    job_spec = {
        "backoffLimit": settings.job_backoff_limit,
        "activeDeadlineSeconds": run_deadline(spec, settings.run_deadline_margin),
        "template": template,
    }
    own_jobs = [j for j in observed.jobs if owned_by(j, uid)]
    job_name: str | None = old_status.get("jobName")

    if spec.schedule:
        run_now = (meta.get("annotations") or {}).get(naming.ANNOTATION_RUN_NOW)
        last_run_now = (
            ((observed.cronjob or {}).get("metadata") or {}).get("annotations") or {}
        ).get(naming.ANNOTATION_LAST_RUN_NOW)
        cj_meta = _meta(assertion, naming.cronjob_name(name), generation)
        remembered = run_now if run_now else last_run_now
        if remembered:
            cj_meta["annotations"][naming.ANNOTATION_LAST_RUN_NOW] = remembered
        cronjob = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": cj_meta,
            "spec": {
                "schedule": spec.schedule,
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": settings.starting_deadline_seconds,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {
                    "metadata": {
                        "labels": naming.child_labels(uid),
                        "annotations": naming.child_annotations(name, generation),
                    },
                    "spec": job_spec,
                },
            },
        }
        _with_hash(cronjob)
        if run_now and run_now != last_run_now:
            now_name = naming.run_now_job_name(name, run_now)
            if not any(j["metadata"]["name"] == now_name for j in observed.jobs):
                result.actions.append(
                    Action(
                        "create",
                        "Job",
                        now_name,
                        _job(assertion, now_name, job_spec, "now"),
                    )
                )
                job_name = now_name
        _ensure(result, "CronJob", cronjob, observed.cronjob, uid)
        for job in own_jobs:  # one-shot runs of an earlier, unscheduled spec
            if (job["metadata"].get("annotations") or {}).get(ANNOTATION_RUN) == "once":
                result.actions.append(_delete("Job", job))
        runs = [
            j
            for j in observed.jobs
            if (j["metadata"].get("annotations") or {}).get(ANNOTATION_RUN) != "once"
        ]
        if runs and not any(a.kind == "Job" and a.verb == "create" for a in result.actions):
            job_name = max(runs, key=lambda j: (_created(j), j["metadata"]["name"]))["metadata"][
                "name"
            ]
    else:
        if observed.cronjob is not None and owned_by(observed.cronjob, uid):
            result.actions.append(_delete("CronJob", observed.cronjob))
        wanted = naming.job_name(name, generation)
        present = any(j["metadata"]["name"] == wanted for j in observed.jobs)
        already_ran = old_status.get("jobName") == wanted
        if not present and not already_ran:
            result.actions.append(
                Action(
                    "create",
                    "Job",
                    wanted,
                    _job(assertion, wanted, job_spec, "once"),
                )
            )
        for job in own_jobs:
            if job["metadata"]["name"] != wanted and (
                (job["metadata"].get("annotations") or {}).get(ANNOTATION_RUN) == "once"
            ):
                result.actions.append(_delete("Job", job))
        job_name = wanted

    written = [a for a in result.actions if a.verb != "delete"]
    deleted = [a for a in result.actions if a.verb == "delete"]
    if written:
        result.events.append(
            EventNote(
                "Normal",
                "Reconciled",
                "; ".join(
                    f"{'created' if a.verb == 'create' else 'updated'} {a.kind} {a.name}"
                    for a in written
                ),
            )
        )
    if deleted:
        result.events.append(
            EventNote("Normal", "Deleted", "; ".join(f"deleted {a.kind} {a.name}" for a in deleted))
        )
    current = next((j for j in observed.jobs if j["metadata"]["name"] == job_name), None)
    failure = _job_failed(current) if current else None
    if failure and current is not None:
        result.events.append(
            EventNote("Warning", "ProbeFailed", f"Job {job_name} failed: {failure}")
        )
    deleting = {a.name for a in result.actions if a.verb == "delete" and a.kind == "Job"}
    made_here = [  # one-shot and run-now Jobs; CronJobs keep their own history
        j
        for j in own_jobs
        if j["metadata"]["name"] not in deleting
        and (j["metadata"].get("annotations") or {}).get(ANNOTATION_RUN) in ("once", "now")
    ]
    for job in removable_runs(made_here, observed.report, settings.job_ttl_seconds, now):
        result.actions.append(_delete("Job", job))

    # Only a report of this spec generation's run says anything about this spec.
    observed = replace(observed, report=st.report_of_generation(observed.report, generation))
    summary = st.report_summary(observed.report)
    parse_error = st.report_parse_error(observed.report)
    if parse_error:
        cond = ("False", st.RESULT_PARSE_ERROR, parse_error)
    elif summary is not None:
        cond = ("True", st.PROBE_COMPLETE, st.summary_message(summary))
    else:
        waiting = f"waiting for the results of generation {generation}"
        cond = ("True", st.PROGRESSING, waiting if not failure else f"probe run failed: {failure}")
    result.status = _status(
        old_status,
        previous,
        generation=generation,
        cond_status=cond[0],
        reason=cond[1],
        message=cond[2],
        now=now,
        observed=observed,
        job_name=job_name,
    )
    return result


def _delete(kind: ChildKind, obj: dict[str, Any]) -> Action:
    return Action("delete", kind, obj["metadata"]["name"], uid=obj["metadata"].get("uid"))


def _ensure(
    result: Plan,
    kind: ChildKind,
    desired: dict[str, Any],
    observed: dict[str, Any] | None,
    uid: str,
) -> None:
    name = desired["metadata"]["name"]
    if observed is None:
        result.actions.append(Action("create", kind, name, desired))
        return
    if not owned_by(observed, uid):
        raise NameTakenError(
            f"{kind} {name} exists and is not owned by this assertion; rename or delete it"
        )
    if _observed_hash(observed) != _observed_hash(desired):
        body = copy.deepcopy(desired)
        body["metadata"]["resourceVersion"] = observed["metadata"].get("resourceVersion")
        result.actions.append(Action("replace", kind, name, body))


def _status(
    old: dict[str, Any],
    previous: dict[str, Any] | None,
    *,
    generation: int,
    cond_status: str,
    reason: str,
    message: str,
    now: str,
    observed: Observed,
    job_name: str | None = None,
) -> dict[str, Any]:
    new: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": [
            st.condition(
                previous,
                status=cond_status,
                reason=reason,
                message=message,
                generation=generation,
                now=now,
            )
        ],
    }
    others = [c for c in old.get("conditions") or [] if c.get("type") != st.CONDITION]
    new["conditions"] += others
    name = job_name or old.get("jobName")
    if name:
        new["jobName"] = name
    summary = st.report_summary(observed.report)
    if summary is not None:
        new["summary"] = summary
        if last := st.last_result_time(observed.report):
            new["lastResultTime"] = last
    return new


def error_status(assertion: dict[str, Any], message: str, now: str) -> dict[str, Any]:
    """Status after a reconcile failed (``ReconcileError``), keeping the rest as it was."""
    old = dict(assertion.get("status") or {})
    generation = int((assertion.get("metadata") or {}).get("generation") or 1)
    cond = st.condition(
        st.previous_condition(old),
        status="False",
        reason=st.RECONCILE_ERROR,
        message=message,
        generation=generation,
        now=now,
    )
    old["conditions"] = [cond] + [
        c for c in old.get("conditions") or [] if c.get("type") != st.CONDITION
    ]
    return old


def status_changed(assertion: dict[str, Any], desired: dict[str, Any] | None) -> bool:
    """Whether writing ``desired`` would change the stored status (no write loops)."""
    if desired is None:
        return False
    return bool((assertion.get("status") or {}) != desired)
