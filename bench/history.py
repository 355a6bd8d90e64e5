"""Seed the finished Jobs a schedule leaves behind, without running them.

A real run is a Job the CronJob controller makes, a probe Pod the Job controller and
kubelet run, a PolicyReport the results service writes and a status the operator writes:
kubesim serves about 13 of them a second, so the three-deep history of 10,000 CronJobs
(30,000 earlier runs) would take most of an hour. What the operator caches of those
earlier runs is only the finished Jobs (it watches no Pods; the report and the status are
those of the last run, which a real round writes on top). So each seeded Job is made by
kubesim's own code: ``CronJobController.trigger`` creates it from the CronJob's template
through kubesim's API (same name form, labels, annotations, owner reference, selector
and defaults as a benchmark run), and its status is what the Job controller writes when
its one Pod has succeeded (the same fields in the same order, the conditions made by the
controller's own ``_set``). The Job controller is paused meanwhile, so it starts no Pod
for a Job that is finished before it looks (once resumed it sees them finished and does
nothing, as for a real finished Job). The CronJob controller sees them as usual
(``lastSuccessfulTime``; it deletes the oldest once a fourth finishes). What differs from
a real run: no Pod, no Events and one status write instead of several; none of them is
cached by the operator. ``tests/bench/test_history.py`` checks a seeded Job against a
real finished one, field by field.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from tools.kubesim.clock import format_time
from tools.kubesim.jobs import COMPLETIONS_REACHED, set_condition
from tools.kubesim.sim import KubeSim

Obj = dict[str, Any]
JOB_CONTROLLER = "job-controller"
#: Jobs seeded between pauses, and the pause: seeding in kubesim's process without them
#: starves its API server (the services' lease renewals time out and they lose the lease).
BATCH, PAUSE = 20, 0.05


def finished_status(sim: KubeSim) -> Obj:
    """The status the Job controller leaves on a Job whose one Pod succeeded now."""
    now = sim.clock.now()
    conditions: list[Obj] = []
    set_condition(conditions, "SuccessCriteriaMet", *COMPLETIONS_REACHED, now)
    set_condition(conditions, "Complete", *COMPLETIONS_REACHED, now)
    # The order the controller's syncs add them in: counts, start, live counts, then the
    # conditions and completion time of the sync that saw the Pod succeed.
    return {
        "succeeded": 1,
        "failed": 0,
        "startTime": format_time(now),
        "active": 0,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": conditions,
        "completionTime": format_time(now),
    }


def seed_finished_job(sim: KubeSim, namespace: str, cronjob: str) -> Obj:
    """One finished Job of ``cronjob``, made as a triggered run's; returns it as stored."""
    job = sim.controllers.cronjobs.trigger(namespace, cronjob)
    status = finished_status(sim)
    jobs = sim.api.resource("batch", "v1", "jobs")
    name = job["metadata"]["name"]

    def finish(obj: Obj) -> None:
        obj["status"] = status

    stored = sim.api.mutate(jobs, namespace, name, finish, "status")
    assert stored is not None
    return stored


def seed_history(sim: KubeSim, namespace: str, cronjobs: Iterable[str], depth: int) -> int:
    """``depth`` finished Jobs of each CronJob, oldest round first; how many were made."""
    names = list(cronjobs)
    sim.controllers.pause(JOB_CONTROLLER)
    try:
        for i, name in enumerate(names * depth):
            seed_finished_job(sim, namespace, name)
            if i % BATCH == BATCH - 1:
                time.sleep(PAUSE)
    finally:
        sim.controllers.resume(JOB_CONTROLLER)
    return depth * len(names)
