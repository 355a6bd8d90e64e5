"""The CronJob controller (batch/v1), driven by the injectable clock."""

from __future__ import annotations

import re
import secrets
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from .api import Api, DeleteOptions
from .clock import Clock, format_time, parse_time
from .controller import Controller, controller_ref, owner_controller
from .errors import ApiError
from .jobs import condition, is_finished
from .storage import Event
from .strategies import clone

Obj = dict[str, Any]
MAX_MISSED = 100
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _zone(cronjob: Obj) -> zoneinfo.ZoneInfo | None:
    name = cronjob["spec"].get("timeZone")
    if name is None:
        return zoneinfo.ZoneInfo("UTC")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class Schedule:
    """A cron schedule (5 fields, macros, ``@every <duration>``) in a time zone."""

    def __init__(self, expr: str, zone: zoneinfo.ZoneInfo) -> None:
        self.zone = zone
        self.every: timedelta | None = None
        match = re.fullmatch(r"@every\s+(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", expr.strip())
        if match:
            h, m, s = (int(x or 0) for x in match.groups())
            self.every = timedelta(hours=h, minutes=m, seconds=s)
        self.expr = expr.replace("?", "*")

    def next_after(self, when: datetime) -> datetime:
        if self.every is not None:
            return when + self.every
        nxt = croniter(self.expr, when.astimezone(self.zone)).get_next(datetime)
        return nxt.astimezone(UTC)

    def missed(self, earliest: datetime, now: datetime) -> tuple[datetime | None, int]:
        """The most recent schedule time in (earliest, now] and how many there were
        (counting stops past MAX_MISSED)."""
        count, last, cursor = 0, None, earliest
        while True:
            cursor = self.next_after(cursor)
            if cursor > now:
                return last, count
            count, last = count + 1, cursor
            if count > MAX_MISSED:
                if self.every is None:
                    prev = croniter(self.expr, now.astimezone(self.zone)).get_prev(datetime)
                    return prev.astimezone(UTC), count
                steps = int((now - earliest) / self.every)
                return earliest + steps * self.every, count


class CronJobController(Controller):
    """Creates Jobs on schedule; the clock can be advanced and runs triggered by hand."""

    name = "cronjob-controller"

    def __init__(self, api: Api, clock: Clock) -> None:
        super().__init__(api)
        self.clock = clock

    def on_event(self, event: Event) -> None:
        m = event.obj["metadata"]
        if event.key == ("batch", "cronjobs") and event.type != "DELETED":
            self.enqueue((m["namespace"], m["name"]))
        elif event.key == ("batch", "jobs"):
            ref = owner_controller(event.obj, "CronJob")
            if ref is not None:
                self.enqueue((m["namespace"], ref["name"]))

    def resync(self) -> None:
        for cj in self.api.store.list(("batch", "cronjobs")):
            self.enqueue((cj["metadata"]["namespace"], cj["metadata"]["name"]))

    def trigger(self, namespace: str, name: str, job_name: str | None = None) -> Obj:
        """Create a Job from the CronJob's template now (``kubectl create job --from``)."""
        cj = self.api.get(self.api.resource("batch", "v1", "cronjobs"), namespace, name)
        job_name = job_name or f"{name}-manual-{secrets.token_hex(3)}"
        job = self._job_from_template(cj, job_name, None)
        job["metadata"].setdefault("annotations", {})["cronjob.kubernetes.io/instantiate"] = (
            "manual"
        )
        return self.api.create(self.api.resource("batch", "v1", "jobs"), namespace, job)

    def _job_from_template(self, cj: Obj, name: str, scheduled: datetime | None) -> Obj:
        template = clone(cj["spec"]["jobTemplate"])
        tmeta = template.get("metadata") or {}
        annotations = dict(tmeta.get("annotations") or {})
        if scheduled is not None:
            zone = _zone(cj) or zoneinfo.ZoneInfo("UTC")
            annotations[SCHEDULED_ANNOTATION] = scheduled.astimezone(zone).isoformat()
        meta: Obj = {
            "name": name,
            "labels": dict(tmeta.get("labels") or {}),
            "ownerReferences": [controller_ref(cj, "CronJob", "batch/v1")],
        }
        if annotations:
            meta["annotations"] = annotations
        return {"metadata": meta, "spec": template.get("spec") or {}}

    def reconcile(self, key: Any) -> float | None:
        namespace, name = key
        cj = self.api.find(self.api.resource("batch", "v1", "cronjobs"), namespace, name)
        if cj is None:
            return None
        uid = cj["metadata"]["uid"]
        owned = [
            j
            for k, j in self.api.store.dependents(uid)
            if k == ("batch", "jobs") and (owner_controller(j, "CronJob") or {}).get("uid") == uid
        ]
        status = clone(cj.get("status") or {})
        self._track_jobs(cj, owned, status)
        requeue = self._schedule(cj, owned, status)
        self._write(cj, status)
        return requeue

    def _event(self, cj: Obj, event_type: str, reason: str, message: str) -> None:
        self.record_event(cj, "CronJob", "batch/v1", event_type, reason, message)

    def _track_jobs(self, cj: Obj, owned: list[Obj], status: Obj) -> None:
        """``status.active`` and ``lastSuccessfulTime`` from the Jobs the CronJob owns."""
        by_name = {j["metadata"]["name"]: j for j in owned}
        active: list[Obj] = []
        for ref in status.get("active") or []:
            job = by_name.get(ref.get("name"))
            if job is None:
                message = f"Active job went missing: {ref.get('name')}"
                self._event(cj, "Normal", "MissingJob", message)
            elif is_finished(job):
                outcome = "Complete" if condition(job, "Complete") else "Failed"
                message = f"Saw completed job: {ref['name']}, condition: {outcome}"
                self._event(cj, "Normal", "SawCompletedJob", message)
            else:
                active.append(ref)
        listed = {r["name"] for r in active}
        for job in owned:
            if (
                not is_finished(job)
                and job["metadata"]["name"] not in listed
                and not job["metadata"].get("deletionTimestamp")
            ):
                active.append(_ref(job))
        done = [
            (j.get("status") or {}).get("completionTime") for j in owned if condition(j, "Complete")
        ]
        finished = [str(d) for d in done if d]
        if finished:
            status["lastSuccessfulTime"] = max(finished, key=parse_time)
        status["active"] = active
        if not active:
            status.pop("active")

    def _schedule(self, cj: Obj, owned: list[Obj], status: Obj) -> float | None:
        """Start the Job of the latest missed schedule if due and allowed; when to look again."""
        zone = _zone(cj)
        spec = cj["spec"]
        if cj["metadata"].get("deletionTimestamp"):
            return None
        if zone is None:
            message = f"invalid timeZone: {spec.get('timeZone')!r}"
            self._event(cj, "Warning", "UnknownTimeZone", message)
            return None
        self._cleanup(cj, owned)
        if spec.get("suspend"):
            return None
        now = self.clock.now()
        schedule = Schedule(spec["schedule"], zone)
        earliest = parse_time(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - timedelta(seconds=deadline))
        scheduled, missed = schedule.missed(earliest, now)
        requeue = (schedule.next_after(now) - now).total_seconds() + 0.1
        if missed > MAX_MISSED:
            message = (
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                "or check clock skew"
            )
            self._event(cj, "Warning", "TooManyMissedTimes", message)
        if scheduled is None:
            return requeue
        if deadline is not None and scheduled + timedelta(seconds=deadline) < now:
            message = f"Missed scheduled time to start a job: {format_time(scheduled)}"
            self._event(cj, "Warning", "MissSchedule", message)
            return requeue
        job_name = f"{cj['metadata']['name']}-{int(scheduled.timestamp()) // 60}"
        active = status.get("active") or []
        if status.get("lastScheduleTime") == format_time(scheduled) or any(
            r["name"] == job_name for r in active
        ):
            return requeue
        if spec.get("concurrencyPolicy", "Allow") == "Forbid" and active:
            message = (
                "Not starting job because prior execution is running and concurrency policy "
                "is Forbid"
            )
            self._event(cj, "Normal", "JobAlreadyActive", message)
            return requeue
        self._start(cj, job_name, scheduled, status)
        return requeue

    def _start(self, cj: Obj, job_name: str, scheduled: datetime, status: Obj) -> None:
        """Create the Job of ``scheduled`` (replacing the active ones if the policy says so)."""
        namespace = cj["metadata"]["namespace"]
        job_rt = self.api.resource("batch", "v1", "jobs")
        active = status.get("active") or []
        if cj["spec"].get("concurrencyPolicy", "Allow") == "Replace":
            for ref in active:
                try:
                    options = DeleteOptions(propagation_policy="Background")
                    self.api.delete(job_rt, namespace, ref["name"], options)
                    self._event(cj, "Normal", "SuccessfulDelete", f"Deleted job {ref['name']}")
                except ApiError as exc:
                    if exc.code != 404:
                        raise
            active = []
        try:
            job = self.api.create(
                job_rt, namespace, self._job_from_template(cj, job_name, scheduled)
            )
            self._event(cj, "Normal", "SuccessfulCreate", f"Created job {job_name}")
        except ApiError as exc:
            if exc.code != 409:
                raise
            job = self.api.get(job_rt, namespace, job_name)
            if (owner_controller(job, "CronJob") or {}).get("uid") != cj["metadata"]["uid"]:
                raise
        if not any(r["name"] == job_name for r in active):
            active.append(_ref(job))
        status["active"] = active
        status["lastScheduleTime"] = format_time(scheduled)

    def _write(self, cj: Obj, status: Obj) -> None:
        if status == (cj.get("status") or {}):
            return
        cj_rt = self.api.resource("batch", "v1", "cronjobs")
        self.api.mutate(
            cj_rt,
            cj["metadata"]["namespace"],
            cj["metadata"]["name"],
            lambda o: o.__setitem__("status", status),
            "status",
        )

    def _cleanup(self, cj: Obj, owned: list[Obj]) -> None:
        job_rt = self.api.resource("batch", "v1", "jobs")
        spec = cj["spec"]
        for kind, limit in (
            ("Complete", spec.get("successfulJobsHistoryLimit", 3)),
            ("Failed", spec.get("failedJobsHistoryLimit", 1)),
        ):
            if limit is None:
                continue
            jobs = [
                j
                for j in owned
                if condition(j, kind) and not j["metadata"].get("deletionTimestamp")
            ]
            jobs.sort(
                key=lambda j: (
                    (j.get("status") or {}).get("startTime") or "",
                    j["metadata"]["name"],
                )
            )
            for job in jobs[: max(0, len(jobs) - limit)]:
                try:
                    self.api.delete(
                        job_rt,
                        job["metadata"]["namespace"],
                        job["metadata"]["name"],
                        DeleteOptions(propagation_policy="Background"),
                    )
                    message = f"Deleted job {job['metadata']['name']}"
                    self._event(cj, "Normal", "SuccessfulDelete", message)
                except ApiError as exc:
                    if exc.code != 404:
                        raise


def _ref(job: Obj) -> Obj:
    m = job["metadata"]
    return {
        "kind": "Job",
        "namespace": m["namespace"],
        "name": m["name"],
        "uid": m["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": m["resourceVersion"],
    }
