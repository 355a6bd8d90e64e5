"""The results service's controller in-process against kubesim: the API calls of each run.

The operator's controller (also in-process) turns an assertion into its ConfigMap and Job;
kubesim's Job controller and kubelet run the real probe as a local process. The results
controller's informers cache the finished Pod, and ``ResultsController.reconcile`` is
called directly: the request log shows exactly what one pass costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from netchecks_core.naming import PROBE_POD_SELECTOR
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_operator.controller import OperatorController
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings
from netchecks_results.controller import ResultsController
from netchecks_results.errors import LogNotReadyError
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.runs import ProbeRun
from netchecks_results.settings import ResultsSettings
from netchecks_service.kube import EVENTS, PODS, KubeApi

from tools.builders import AssertionBuilder
from tools.harness import install_crds
from tools.kubesim import KubeSim
from tools.kubesim.testing import wait_for

RULE = {"name": "r1", "type": "internal", "validate": {"pattern": "true"}}


def _web(namespace: str) -> dict[str, Any]:
    """Assertion ``web`` with the one rule :data:`RULE`."""
    builder = AssertionBuilder("web", namespace)
    builder.rules.append(dict(RULE))
    return builder.build()


@dataclass
class Services:
    """Both controllers for one namespace of the session's kubesim, caches running."""

    sim: KubeSim
    api: KubeApi
    namespace: str
    operator: OperatorController
    results: ResultsController

    def run_assertion(self, name: str, uid: str | None = None) -> tuple[str, str]:
        """Reconcile the assertion with the operator, then wait for its newest probe Pod to
        finish and reach the results cache; returns the results controller's key."""
        self.operator.reconcile((self.namespace, name))
        uid = uid or self.api.get(NETWORK_ASSERTIONS, name, self.namespace)["metadata"]["uid"]
        generation = self.api.get(NETWORK_ASSERTIONS, name, self.namespace)["metadata"][
            "generation"
        ]
        key = (self.namespace, uid)

        def finished_run() -> bool:
            run = self.newest_run(key)
            return (
                run is not None
                and run.job_name is not None
                and run.job_name.endswith(f"-g{generation}")
            )

        wait_for(finished_run, timeout=30, what=f"a finished run of generation {generation}")
        return key

    def newest_run(self, key: tuple[str, str]) -> ProbeRun | None:
        """The run ``ResultsController.reconcile`` would report: its newest proven one."""
        runs, _orphans = self.results.runs(key)
        return max(runs, key=lambda run: run.order_key, default=None)

    def reconcile(self, key: tuple[str, str]) -> list[str]:
        """One results pass; returns every API call it made, in order."""
        self.sim.requests.clear()
        self.results.reconcile(key)
        return self.sim.requests.calls(namespace=self.namespace)

    def event_reasons(self) -> list[str]:
        posted = [
            e.name for e in self.sim.requests.entries(self.namespace) if e.call == "POST events"
        ]
        return [self.api.get(EVENTS, str(name), self.namespace)["reason"] for name in posted]


@pytest.fixture
def services(kubesim: KubeSim, kube: KubeApi, kube_namespace: str) -> Iterator[Services]:
    install_crds(kube)
    operator_settings = OperatorSettings(namespaces=[kube_namespace], identity="op-test")
    cluster = Cluster(operator_settings, kube)
    operator = OperatorController(operator_settings, cluster)
    settings = ResultsSettings(namespaces=[kube_namespace], identity="results-test")
    results = ResultsController(settings, kube, ResultsMetrics())
    groups = [*cluster.informers.values(), *results.caches.groups()]
    for group in groups:
        group.start()
    wait_for(lambda: all(g.synced() for g in groups), timeout=10, what="caches synced")
    yield Services(kubesim, kube, kube_namespace, operator, results)
    results.caches.close()
    cluster.close()


def _create(services: Services, body: dict[str, Any]) -> None:
    services.api.create(NETWORK_ASSERTIONS, body, services.namespace)
    name = body["metadata"]["name"]
    cache = services.operator.cluster
    wait_for(lambda: cache.assertion(services.namespace, name), timeout=5, what="cached")


def test_a_finished_probe_pod_becomes_a_report_and_an_event_then_a_pass_costs_nothing(
    services: Services,
) -> None:
    _create(services, _web(services.namespace))
    key = services.run_assertion("web")
    assert services.reconcile(key) == [
        "GET pods/log",
        "POST policyreports",
        "POST events",
        "POST events",
    ]
    # On the assertion and, as 0.10 did, on the PolicyReport.
    assert services.event_reasons() == ["ChecksPassing", "ChecksPassing"]
    assert services.reconcile(key) == [], "a reflected run needs no log read nor write"


def test_a_new_run_with_a_changed_outcome_replaces_the_report(services: Services) -> None:
    """The next generation fails where the first passed: the report is replaced (PUT) and
    the changed outcome is announced; the first run's report is never written again."""
    _create(services, _web(services.namespace))
    key = services.run_assertion("web")
    services.reconcile(key)
    failing = {**RULE, "validate": {"pattern": "false"}}
    services.api.patch(
        NETWORK_ASSERTIONS, "web", {"spec": {"rules": [failing]}}, services.namespace
    )
    cache = services.operator.cluster
    wait_for(
        lambda: (cache.assertion(services.namespace, "web") or {})["metadata"]["generation"] == 2,
        timeout=5,
        what="generation 2 cached",
    )
    key = services.run_assertion("web")
    assert services.reconcile(key) == [
        "GET pods/log",
        "PUT policyreports",
        "POST events",
        "POST events",
    ]
    assert services.event_reasons() == ["ChecksFailing", "ChecksFailing"]
    assert services.reconcile(key) == []


def test_a_pod_log_that_cannot_be_read_is_retried_before_any_write(services: Services) -> None:
    """An unreachable kubelet (500 on the log) makes the pass fail with nothing written,
    so the run is retried rather than reported from a log never read."""
    _create(services, _web(services.namespace))
    key = services.run_assertion("web")
    [pod] = services.api.list(PODS, services.namespace, label_selector=PROBE_POD_SELECTOR)["items"]
    services.sim.faults.pod_log_unavailable(services.namespace, pod["metadata"]["name"], code=500)
    try:
        with pytest.raises(LogNotReadyError, match="not readable yet"):
            services.reconcile(key)
        assert services.sim.requests.calls(namespace=services.namespace) == ["GET pods/log"]
    finally:
        services.sim.faults.pod_log_available(services.namespace, pod["metadata"]["name"])
    assert services.reconcile(key) == [
        "GET pods/log",
        "POST policyreports",
        "POST events",
        "POST events",
    ]
