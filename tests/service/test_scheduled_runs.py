"""What a scheduled run costs the operator and the results service, with their loops running.

Both controllers run in-process with their workers (events drive everything, as in a
cluster) against the session's kubesim, whose CronJob controller starts each run as a
schedule tick does, and whose Job controller and kubelet run the real probe. Each run
is counted: the operator's reconciles of the assertion and its writes, and the results
service's calls per Pod (kubesim's request log).
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from netchecks_core import naming
from netchecks_core.policyreport import ANNOTATION_JOB_UID as JOB_UID
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_operator.controller import OperatorController
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings
from netchecks_results.controller import ResultsController
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.settings import ResultsSettings
from netchecks_service.kube import JOBS, KubeApi
from netchecks_service.workqueue import WorkQueue

from tools.builders import AssertionBuilder
from tools.harness import install_crds
from tools.kubesim import KubeSim
from tools.kubesim.testing import wait_for

#: A schedule that never fires by itself: the test starts each run.
NEVER = "0 0 1 1 *"


class CountingOperator(OperatorController):
    """The operator's controller, counting reconciles per key."""

    def __init__(self, settings: OperatorSettings, cluster: Cluster) -> None:
        super().__init__(settings, cluster)
        self.reconciled: Counter[tuple[str, str]] = Counter()

    def processed(self, key: tuple[str, str], result: str, reason: str, seconds: float) -> None:
        super().processed(key, result, reason, seconds)
        self.reconciled[key] += 1


def idle(queue: WorkQueue[Any]) -> bool:
    """No key waiting now or later (the workers may still finish the one they hold)."""
    return queue.pending() == 0


@dataclass
class Loops:
    """Both controllers running (workers leading) on one namespace of the session kubesim."""

    sim: KubeSim
    api: KubeApi
    namespace: str
    operator: CountingOperator
    results: ResultsController

    def peek(self, resource: Resource, name: str) -> dict[str, Any] | None:
        """An object read from kubesim's store: not a request (the log counts the services')."""
        found = self.sim.api.find(
            self.sim.api.resource(resource.group, resource.version, resource.plural),
            self.namespace,
            name,
        )
        return copy.deepcopy(found)

    def run_once(self, name: str) -> dict[str, Any]:
        """Start one scheduled run of ``name`` and wait until its report and status show it.

        Runs start a second apart, as schedule ticks do: Kubernetes timestamps have
        one-second resolution, and two runs made in the same second cannot be ordered.
        """
        time.sleep(1.0)
        job = self.sim.controllers.cronjobs.trigger(self.namespace, naming.cronjob_name(name))
        meta = job["metadata"]

        def shown() -> bool:
            report = self.peek(DEFAULT_REPORT_API, naming.policy_report_name(name)) or {}
            status = (self.peek(NETWORK_ASSERTIONS, name) or {}).get("status") or {}
            reported = (report.get("metadata", {}).get("annotations") or {}).get(JOB_UID)
            return bool(reported == meta["uid"] and status.get("jobName") == meta["name"])

        wait_for(shown, timeout=60, what=f"run {meta['name']} in the report and the status")

        def complete() -> bool:
            status = (self.peek(JOBS, meta["name"]) or {}).get("status") or {}
            return any(c.get("type") == "Complete" for c in status.get("conditions") or [])

        wait_for(complete, timeout=10, what=f"Job {meta['name']} complete")
        return job

    def settle(self, marker: str) -> None:
        """Let the last events of the runs reach the operator: an assertion created after
        them (``marker``) is reconciled, and nothing waits in the queue."""
        self.api.create(
            NETWORK_ASSERTIONS,
            AssertionBuilder(marker, self.namespace).with_internal().build(),
            self.namespace,
        )
        key = (self.namespace, marker)
        wait_for(lambda: self.operator.reconciled[key] > 0, timeout=10, what="a later event")
        wait_for(lambda: idle(self.operator.queue), timeout=10, what="the operator idle")


@pytest.fixture
def loops(kubesim: KubeSim, kube: KubeApi, kube_namespace: str) -> Iterator[Loops]:
    install_crds(kube)
    operator_settings = OperatorSettings(namespaces=[kube_namespace], identity="op-loops")
    cluster = Cluster(operator_settings, kube)
    operator = CountingOperator(operator_settings, cluster)
    settings = ResultsSettings(namespaces=[kube_namespace], identity="results-loops")
    results = ResultsController(settings, kube, ResultsMetrics())
    groups = [*cluster.informers.values(), *results.caches.groups()]
    for group in groups:
        group.start()
    wait_for(lambda: all(g.synced() for g in groups), timeout=10, what="caches synced")
    for controller in (operator, results):
        controller.start()
        controller.start_leading()
    yield Loops(kubesim, kube, kube_namespace, operator, results)
    for controller in (operator, results):
        controller.stop_leading()
        controller.shutdown()
    results.caches.close()
    cluster.close()


def test_a_scheduled_run_costs_one_reconcile_one_status_write_and_two_calls_per_pod(
    loops: Loops,
) -> None:
    """Per run: the report's event wakes the operator once, which writes the status once;
    its own status write, the CronJob's and the Job's progress wake nothing. The results
    service reads the log and writes the report: nothing else, and no Pod twice."""
    ns = loops.namespace
    body = AssertionBuilder("web", ns).with_internal().with_spec(schedule=NEVER).build()
    loops.api.create(NETWORK_ASSERTIONS, body, ns)
    key = (ns, "web")
    wait_for(
        lambda: (loops.peek(NETWORK_ASSERTIONS, "web") or {}).get("status"),
        timeout=10,
        what="the first status",
    )
    loops.run_once("web")  # the first run also posts the first outcome's Events
    loops.settle("marker-a")
    runs = 3
    before = loops.operator.reconciled[key]
    loops.sim.requests.clear()
    for _ in range(runs):
        loops.run_once("web")
    loops.settle("marker-b")
    calls = [e for e in loops.sim.requests.entries(ns) if not (e.name or "").startswith("marker")]
    reconciles = loops.operator.reconciled[key] - before
    assert reconciles <= runs, f"{reconciles} reconciles for {runs} runs"
    writes = Counter(e.call for e in calls if e.is_write and e.resource != "leases")
    assert writes == Counter({"PATCH networkassertions/status": runs, "PUT policyreports": runs})
    log_reads = Counter(e.name for e in calls if e.call == "GET pods/log")
    assert len(log_reads) == runs and set(log_reads.values()) == {1}, "a Pod read twice"
    reads = [e.call for e in calls if e.verb in ("get", "list") and e.call != "GET pods/log"]
    assert reads == [], "reads come from the caches"
