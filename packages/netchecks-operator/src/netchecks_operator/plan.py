"""The reconcile plan (pure): an assertion and its observed children -> actions and status.

:func:`plan` never does I/O and never depends on why it was called: given the
same assertion and observed objects it returns the same plan. Applying the plan
and planning again yields no actions (the fixed point), which is what keeps
requests per assertion at the minimum.

The decision, step by step: a spec that cannot run is an ``InvalidSpec`` (nothing is
written); otherwise the ConfigMap, then the scheduled (CronJob, run-now Jobs) or
one-shot children (one Job per spec generation), events about those writes and the
current run, the removal of runs whose results are taken, and last the condition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import NetworkAssertionSpec, NodePlacement
from netchecks_core.convert import probe_config_from_spec
from netchecks_core.meta import annotations_of, metadata_of
from netchecks_core.validation import check_spec

from netchecks_operator import status as st
from netchecks_operator.children import (
    child_meta,
    configmap_body,
    delete_action,
    ensure,
    job_body,
    owned_by,
    run_kind,
    with_hash,
)
from netchecks_operator.cleanup import removable_runs
from netchecks_operator.deadline import run_timeout
from netchecks_operator.errors import PodTemplateError
from netchecks_operator.mounts import missing_objects
from netchecks_operator.nodeplan import node_gone_events, plan_node_runs
from netchecks_operator.plan_model import Action, EventNote, Observed, Plan, PlanSettings
from netchecks_operator.podtemplate import pod_template
from netchecks_operator.sizes import size_problems

# The plan's input and output types, for callers of plan().
__all__ = ["Observed", "Plan", "PlanSettings", "plan"]


@dataclass(frozen=True)
class _Probe:
    """What a valid spec runs: the parsed spec, the probe Pod template and its config."""

    spec: NetworkAssertionSpec
    template: dict[str, Any]
    config_text: str
    #: The probe's ``--run-timeout`` (seconds), set in ``template``.
    run_timeout: int


@dataclass(frozen=True)
class _Run:
    """The run the status shows, and why it cannot or did not finish (if so)."""

    job_name: str | None
    failure: str | None
    missing: str | None


def plan(observed: Observed, settings: PlanSettings, now: str) -> Plan:
    """What to write for ``observed.assertion`` given what exists (see the module docstring)."""
    assertion = observed.assertion
    if metadata_of(assertion).get("deletionTimestamp"):
        return Plan()  # owner references let the garbage collector remove the children
    probe = _probe(assertion, settings)
    if isinstance(probe, list):
        return _invalid_spec_plan(assertion, observed, probe, now)
    job_spec = {
        "backoffLimit": settings.job_backoff_limit,
        # The run's deadline: the probe's own, plus a fixed margin to start and report.
        "activeDeadlineSeconds": probe.run_timeout + settings.run_deadline_margin,
        "template": probe.template,
    }
    placement = probe.spec.placement.nodes if probe.spec.placement else None
    if placement is not None:
        return _node_plan(observed, probe, job_spec, placement, now)
    result = Plan()
    uid = assertion["metadata"]["uid"]
    ensure(
        result, "ConfigMap", configmap_body(assertion, probe.config_text), observed.configmap, uid
    )
    if probe.spec.schedule:
        job_name = _scheduled_children(result, observed, probe.spec.schedule, job_spec, settings)
    else:
        job_name = _one_shot_children(result, observed, job_spec)
    result.events += _write_events(result.actions)
    run = _current_run(observed, job_name, probe.spec)
    result.events += _run_events(run)
    result.actions += _cleanup(result.actions, observed, settings.job_ttl_seconds, now)
    result.status = _status_after_run(observed, run, now)
    return result


def _node_plan(
    observed: Observed,
    probe: _Probe,
    job_spec: dict[str, Any],
    placement: NodePlacement,
    now: str,
) -> Plan:
    """The plan of a per-node assertion (``spec.placement.nodes``; see noderuns.py)."""
    assertion = observed.assertion
    runs = Plan()
    decided = plan_node_runs(runs, observed, job_spec, placement, now)
    configmap = configmap_body(assertion, probe.config_text)
    remembered = decided.run_now or annotations_of(observed.configmap).get(
        naming.ANNOTATION_LAST_RUN_NOW
    )
    if remembered:
        configmap["metadata"]["annotations"][naming.ANNOTATION_LAST_RUN_NOW] = remembered
        configmap = with_hash(configmap)
    result = Plan(requeue_after=decided.requeue_after)
    ensure(result, "ConfigMap", configmap, observed.configmap, assertion["metadata"]["uid"])
    result.actions += runs.actions
    # Resuming a waiting Job (maxConcurrent) is routine pacing: no Event for each one.
    paced = [a for a in result.actions if not (a.verb == "patch" and a.kind == "Job")]
    result.events += _write_events(paced) + node_gone_events(runs.actions)
    run = _Run(decided.job_name, decided.problem, None)
    result.events += _run_events(run)
    result.status = _status_after_run(observed, run, now)
    return result


def _probe(assertion: dict[str, Any], settings: PlanSettings) -> _Probe | list[str]:
    """The spec's probe run, or why it cannot run (the problems found)."""
    meta = metadata_of(assertion)
    spec, found = check_spec(assertion.get("spec"))
    problems = [str(problem) for problem in found]
    if spec is None or problems:
        return problems
    timeout = run_timeout(spec)
    try:
        template = pod_template(
            assertion_name=meta["name"],
            assertion_uid=meta["uid"],
            generation=int(meta.get("generation") or 1),
            configmap=naming.configmap_name(meta["name"]),
            contexts=spec.context,
            overrides=spec.template,
            image=settings.probe_image,
            pull_policy=settings.probe_image_pull_policy,
            resources=settings.probe_resources,
            disable_redaction=spec.disable_redaction,
            run_timeout=timeout,
            defaults=settings.probe_pod_defaults,
        )
    except PodTemplateError as error:
        return [str(error)]
    config_text = json.dumps(probe_config_from_spec(spec), sort_keys=True, separators=(",", ":"))
    problems = size_problems(config_text, template)
    return problems if problems else _Probe(spec, template, config_text, timeout)


def _invalid_spec_plan(
    assertion: dict[str, Any], observed: Observed, problems: list[str], now: str
) -> Plan:
    """Nothing to write: an ``InvalidSpec`` Warning and condition saying why."""
    message = "; ".join(problems)
    old = assertion.get("status") or {}
    generation = int(metadata_of(assertion).get("generation") or 1)
    # No run of this spec will come: an earlier spec's verdict is not this one's.
    conditions = st.conditions_for(
        old, st.Outcome(st.INVALID_SPEC, message), None, generation=generation, now=now
    )
    return Plan(
        status=st.assertion_status(old, conditions, generation=generation, report=observed.report),
        events=[EventNote("Warning", st.INVALID_SPEC, message)],
        invalid=problems,
    )


def _own_jobs(observed: Observed) -> list[dict[str, Any]]:
    uid = observed.assertion["metadata"]["uid"]
    return [j for j in observed.jobs if owned_by(j, uid)]


def _scheduled_children(
    result: Plan,
    observed: Observed,
    schedule: str,
    job_spec: dict[str, Any],
    settings: PlanSettings,
) -> str | None:
    """The CronJob, a run-now Job when asked; returns the name of the run to show."""
    assertion = observed.assertion
    meta = assertion["metadata"]
    name, uid = meta["name"], meta["uid"]
    job_name: str | None = (assertion.get("status") or {}).get("jobName")
    run_now = annotations_of(assertion).get(naming.ANNOTATION_RUN_NOW)
    last_run_now = annotations_of(observed.cronjob).get(naming.ANNOTATION_LAST_RUN_NOW)
    if run_now and run_now != last_run_now:
        now_name = naming.run_now_job_name(name, run_now)
        if not any(j["metadata"]["name"] == now_name for j in observed.jobs):
            body = job_body(assertion, now_name, job_spec, "now")
            result.actions.append(Action("create", "Job", now_name, body))
            job_name = now_name
    cronjob = _cronjob_body(assertion, schedule, job_spec, settings, run_now or last_run_now)
    ensure(result, "CronJob", cronjob, observed.cronjob, uid)
    for job in _own_jobs(observed):  # one-shot runs of an earlier, unscheduled spec
        if run_kind(job) == "once":
            result.actions.append(delete_action("Job", job))
    runs = [j for j in observed.jobs if run_kind(j) != "once"]
    if runs and not any(a.kind == "Job" and a.verb == "create" for a in result.actions):
        newest = max(runs, key=lambda j: (_created(j), j["metadata"]["name"]))
        job_name = newest["metadata"]["name"]
    return job_name


def _cronjob_body(
    assertion: dict[str, Any],
    schedule: str,
    job_spec: dict[str, Any],
    settings: PlanSettings,
    remembered_run_now: str | None,
) -> dict[str, Any]:
    meta = assertion["metadata"]
    name, uid = meta["name"], meta["uid"]
    generation = int(meta.get("generation") or 1)
    cj_meta = child_meta(assertion, naming.cronjob_name(name), generation)
    if remembered_run_now:
        cj_meta["annotations"][naming.ANNOTATION_LAST_RUN_NOW] = remembered_run_now
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": cj_meta,
        "spec": {
            "schedule": schedule,
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
    return with_hash(cronjob)


def _one_shot_children(result: Plan, observed: Observed, job_spec: dict[str, Any]) -> str:
    """One Job per spec generation (no CronJob); returns its name."""
    assertion = observed.assertion
    meta = assertion["metadata"]
    if observed.cronjob is not None and owned_by(observed.cronjob, meta["uid"]):
        result.actions.append(delete_action("CronJob", observed.cronjob))
    wanted = naming.job_name(meta["name"], int(meta.get("generation") or 1))
    present = any(j["metadata"]["name"] == wanted for j in observed.jobs)
    already_ran = (assertion.get("status") or {}).get("jobName") == wanted
    if not present and not already_ran:
        body = job_body(assertion, wanted, job_spec, "once")
        result.actions.append(Action("create", "Job", wanted, body))
    for job in _own_jobs(observed):
        if job["metadata"]["name"] != wanted and run_kind(job) == "once":
            result.actions.append(delete_action("Job", job))
    return wanted


def _write_events(actions: list[Action]) -> list[EventNote]:
    """``Reconciled`` naming what was created or updated, ``Deleted`` what was deleted."""
    written = [a for a in actions if a.verb != "delete"]
    deleted = [a for a in actions if a.verb == "delete"]
    events = []
    if written:
        done = (
            f"{'created' if a.verb == 'create' else 'updated'} {a.kind} {a.name}" for a in written
        )
        events.append(EventNote("Normal", "Reconciled", "; ".join(done)))
    if deleted:
        gone = "; ".join(f"deleted {a.kind} {a.name}" for a in deleted)
        events.append(EventNote("Normal", "Deleted", gone))
    return events


def _current_run(observed: Observed, job_name: str | None, spec: NetworkAssertionSpec) -> _Run:
    current = next((j for j in observed.jobs if j["metadata"]["name"] == job_name), None)
    if current is None:
        return _Run(job_name, None, None)
    missing = missing_objects(current, observed.mount_failures, spec.context)
    return _Run(job_name, _job_failed(current), missing)


def _job_failed(job: dict[str, Any]) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Failed" and cond.get("status") == "True":
            return str(cond.get("message") or cond.get("reason") or "the probe Job failed")
    return None


def _run_events(run: _Run) -> list[EventNote]:
    """Warnings about the current run: its Job failed, or its Pod cannot start."""
    events = []
    if run.failure:
        events.append(
            EventNote("Warning", "ProbeFailed", f"Job {run.job_name} failed: {run.failure}")
        )
    if run.missing:
        events.append(EventNote("Warning", st.CONTEXT_NOT_FOUND, run.missing))
    return events


def _created(obj: dict[str, Any]) -> str:
    return str(metadata_of(obj).get("creationTimestamp") or "")


def _cleanup(actions: list[Action], observed: Observed, max_age: int, now: str) -> list[Action]:
    """Delete finished one-shot and run-now Jobs whose results are taken (or too old).

    CronJobs keep their own history; Jobs this plan already deletes are left out.
    """
    deleting = {a.name for a in actions if a.verb == "delete" and a.kind == "Job"}
    made_here = [
        j
        for j in _own_jobs(observed)
        if j["metadata"]["name"] not in deleting and run_kind(j) in ("once", "now")
    ]
    return [
        delete_action("Job", job)
        for job in removable_runs(made_here, observed.report, max_age, now)
    ]


def _status_after_run(observed: Observed, run: _Run, now: str) -> dict[str, Any]:
    """The status once the children are in place: what the current generation's run shows."""
    assertion = observed.assertion
    generation = int(metadata_of(assertion).get("generation") or 1)
    # Only a report of this spec generation's run says anything about this spec.
    report = st.report_of_generation(observed.report, generation)
    summary = st.report_summary(report)
    conditions = st.conditions_for(
        assertion.get("status"),
        _outcome(run, report, summary, generation),
        summary,
        generation=generation,
        now=now,
    )
    return st.assertion_status(
        assertion.get("status") or {},
        conditions,
        generation=generation,
        report=report,
        job_name=run.job_name,
    )


def _outcome(
    run: _Run, report: dict[str, Any] | None, summary: dict[str, int] | None, generation: int
) -> st.Outcome:
    """Where this generation's run stands (``Progressing`` until its results are in)."""
    parse_error = st.report_parse_error(report)
    if run.missing:  # the current run cannot start: say so over an older run's result
        return st.Outcome(st.CONTEXT_NOT_FOUND, run.missing)
    if parse_error:
        return st.Outcome(st.RESULT_PARSE_ERROR, parse_error)
    if summary is not None:
        return st.Outcome(st.PROBE_COMPLETE, st.summary_message(summary) + st.nodes_message(report))
    if run.failure:  # the results service still reports the failed run (ResultParseError)
        return st.Outcome(st.PROGRESSING, f"probe run failed: {run.failure}")
    return st.Outcome(st.PROGRESSING, f"waiting for the results of generation {generation}")
