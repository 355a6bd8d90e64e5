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
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from netchecks_core import naming
from netchecks_core.assertion import API_VERSION, KIND, NetworkAssertionSpec
from netchecks_core.convert import probe_config_from_spec
from netchecks_core.rules import Rule, RuleBase
from netchecks_core.validation import check_spec

from netchecks_operator import status as st
from netchecks_operator.cleanup import removable_runs
from netchecks_operator.errors import NameTakenError, PodTemplateError
from netchecks_operator.mounts import missing_objects
from netchecks_operator.podtemplate import CONFIG_KEY, pod_template
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.sizes import size_problems

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
    #: (pod name, message) of the FailedMount Events in the assertion's namespace.
    mount_failures: Sequence[tuple[str, str]] = ()


@dataclass
class Plan:
    """The writes to make, in order, the status to hold afterwards, and events to record."""

    actions: list[Action] = field(default_factory=list)
    status: dict[str, Any] | None = None
    events: list[EventNote] = field(default_factory=list)
    #: Why nothing is created (InvalidSpec), for logs and metrics.
    invalid: list[str] = field(default_factory=list)


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


#: Rules the probe runs at once (its ``--parallelism`` default); more rules run in waves.
PROBE_PARALLELISM = 32
#: Seconds each attempt may take beyond its timeout (starting and judging the check, the
#: runner's grace before it abandons one): a rule's own timeout must end before the run's.
ATTEMPT_SLACK_SECONDS = 2


def _upper_bound(field: str) -> float:
    """The largest value the rule model accepts for ``field``: a templated value's bound."""
    for item in RuleBase.model_fields[field].metadata:
        bound = getattr(item, "le", None)
        if isinstance(bound, int | float):
            return float(bound)
    raise LookupError(f"the rule model gives {field!r} no upper bound")


def _default_timeouts() -> dict[str, float]:
    classes = get_args(get_args(Rule)[0])
    return {get_args(c.model_fields["type"].annotation)[0]: c.DEFAULT_TIMEOUT for c in classes}


_DEFAULT_TIMEOUTS = _default_timeouts()


def _number(rule: dict[str, Any], key: str, field: str, default: float) -> float:
    raw = rule.get(key)
    if raw is None:
        return default
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    return _upper_bound(field)  # a template: known only in the probe, so its bound


def rule_seconds(rule: dict[str, Any]) -> float:
    """The longest a rule may run: every attempt's timeout (and slack) and retry delays."""
    rule_type = rule.get("type")
    default = _DEFAULT_TIMEOUTS.get(rule_type) if isinstance(rule_type, str) else None
    timeout = _number(rule, "timeout", "timeout", default or max(_DEFAULT_TIMEOUTS.values()))
    retries = _number(rule, "retries", "retries", 0)
    delay = _number(
        rule, "retry-delay", "retry_delay", RuleBase.model_fields["retry_delay"].default
    )
    return (timeout + ATTEMPT_SLACK_SECONDS) * (retries + 1) + delay * retries


def run_timeout(spec: NetworkAssertionSpec) -> int:
    """The probe's ``--run-timeout``: the longest rule, once per wave of concurrent rules.

    With ``n`` rules and ``p`` at a time, the ``k``-th rule starts by wave ``k // p``,
    so ``ceil(n / p)`` times the longest rule bounds the run.
    """
    longest = max((rule_seconds(rule) for rule in spec.rules), default=0.0)
    waves = max(1, math.ceil(len(spec.rules) / PROBE_PARALLELISM))
    return math.ceil(waves * longest)


def run_deadline(spec: NetworkAssertionSpec, margin: int) -> int:
    """``activeDeadlineSeconds`` of a run: the probe's run deadline plus a fixed margin."""
    return run_timeout(spec) + margin


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

    spec, found = check_spec(assertion.get("spec"))
    problems = [str(problem) for problem in found]
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
                run_timeout=run_timeout(spec),
                defaults=settings.probe_pod_defaults,
            )
        except PodTemplateError as error:
            problems.append(str(error))
    config_text = ""
    if spec is not None and template is not None and not problems:
        config_text = json.dumps(
            probe_config_from_spec(spec), sort_keys=True, separators=(",", ":")
        )
        problems += size_problems(config_text, template)
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
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(assertion, naming.configmap_name(name), None),
        "data": {CONFIG_KEY: config_text},
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
    missing = missing_objects(current, observed.mount_failures, spec.context) if current else None
    if missing:
        result.events.append(EventNote("Warning", st.CONTEXT_NOT_FOUND, missing))
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
    if missing:  # the current run cannot start: say so over an older run's result
        cond = ("False", st.CONTEXT_NOT_FOUND, missing)
    elif parse_error:
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
