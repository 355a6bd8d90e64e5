"""The operator's controller in-process against kubesim: the exact API calls of each scenario.

controller-rs style: each scenario drives ``OperatorController.reconcile`` (or the shared
runtime's ``process``, which adds the error policy) on caches synced from kubesim, then
reads the request log; no worker thread runs. The
kubesim here runs no controllers, so no Job runs and nothing changes between two passes
except what the test does: a second pass must make no write at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_operator.controller import FAILURES_BEFORE_STATUS, SLOW_RETRY, OperatorController
from netchecks_operator.errors import NameTakenError
from netchecks_operator.kube import Cluster
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.status import RECONCILE_ERROR
from netchecks_service.errors import InvalidError, TransientError
from netchecks_service.kube import CONFIGMAPS, EVENTS, KubeApi

from tools.builders import AssertionBuilder
from tools.harness import install_crds
from tools.kubesim import KubeSim
from tools.kubesim.testing import wait_for

NS = "default"
KEY = (NS, "web")
INTERNAL_RULE = {"name": "r1", "type": "internal", "validate": {"pattern": "true"}}


@dataclass
class Operator:
    """An operator controller on caches synced from a private kubesim."""

    sim: KubeSim
    api: KubeApi
    cluster: Cluster
    controller: OperatorController

    def create(self, body: dict[str, Any]) -> None:
        self.api.create(NETWORK_ASSERTIONS, body, NS)
        name = body["metadata"]["name"]
        wait_for(lambda: self.cluster.assertion(NS, name), timeout=5, what=f"{name} cached")

    def patch_spec(self, name: str, spec: dict[str, Any]) -> None:
        generation = self.api.patch(NETWORK_ASSERTIONS, name, {"spec": spec}, NS)["metadata"][
            "generation"
        ]
        wait_for(
            lambda: (
                (self.cluster.assertion(NS, name) or {}).get("metadata", {}).get("generation")
                == generation
            ),
            timeout=5,
            what="the new generation cached",
        )

    def writes(self) -> list[str]:
        """The write calls since the last :meth:`reconcile`."""
        return self.sim.requests.calls(namespace=NS, writes_only=True)

    def reconcile(self, key: tuple[str, str] = KEY) -> str:
        self.sim.requests.clear()
        return self.controller.reconcile(key)

    def event_reasons(self) -> list[str]:
        """Reasons of the Events posted since the last reconcile, in order."""
        posted = [e.name for e in self.sim.requests.entries(NS) if e.call == "POST events"]
        return [self.api.get(EVENTS, str(name), NS)["reason"] for name in posted]


@pytest.fixture
def operator(private_kube: Callable[..., tuple[KubeSim, KubeApi]]) -> Iterator[Operator]:
    sim, api = private_kube()
    install_crds(api)
    settings = OperatorSettings(namespaces=[NS], identity="in-process-test")
    cluster = Cluster(settings, api)
    controller = OperatorController(settings, cluster)
    groups = list(cluster.informers.values())
    for group in groups:
        group.start()
    wait_for(lambda: all(g.synced() for g in groups), timeout=10, what="caches synced")
    yield Operator(sim, api, cluster, controller)
    cluster.close()


def test_a_new_assertion_creates_its_children_then_a_second_pass_writes_nothing(
    operator: Operator,
) -> None:
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    assert operator.reconcile() == "Progressing"
    assert operator.writes() == [
        "POST configmaps",
        "POST jobs",
        "PATCH networkassertions/status",
        "POST events",
    ]
    assert operator.event_reasons() == ["Reconciled"]
    assert operator.reconcile() == "Progressing"
    assert operator.sim.requests.calls(namespace=NS) == [], "reads come from the caches"


def test_a_spec_change_updates_the_config_and_replaces_the_run_once(operator: Operator) -> None:
    """The ConfigMap is replaced, a Job for the new generation is created before the old
    one is deleted, and the status and events follow; then nothing more to do."""
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.reconcile()
    operator.patch_spec("web", {"rules": [{**INTERNAL_RULE, "validate": {"pattern": "false"}}]})
    operator.reconcile()
    writes = operator.sim.requests.entries(NS, writes_only=True)
    assert [(e.call, e.name) for e in writes[:3]] == [
        ("PUT configmaps", "web-netchecks-config"),
        ("POST jobs", "web-netchecks-g2"),
        ("DELETE jobs", "web-netchecks-g1"),
    ]
    assert [e.call for e in writes[3:]] == [
        "PATCH networkassertions/status",
        "POST events",
        "POST events",
    ]
    assert operator.event_reasons() == ["Reconciled", "Deleted"]
    assert operator.reconcile() == "Progressing"
    assert operator.writes() == []


def test_a_schedule_replaces_the_one_shot_job_with_a_cronjob(operator: Operator) -> None:
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.reconcile()
    operator.patch_spec("web", {"schedule": "*/5 * * * *"})
    operator.reconcile()
    assert operator.writes() == [
        "POST cronjobs",
        "DELETE jobs",
        "PATCH networkassertions/status",
        "POST events",
        "POST events",
    ]
    operator.reconcile()
    assert operator.writes() == []


def test_a_deleted_assertion_is_gone_and_costs_no_request(operator: Operator) -> None:
    """Children carry owner references: the garbage collector removes them, not us."""
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.reconcile()
    operator.api.delete(NETWORK_ASSERTIONS, "web", NS)
    wait_for(lambda: operator.cluster.assertion(*KEY) is None, timeout=5, what="uncached")
    assert operator.reconcile() == "Gone"
    assert operator.sim.requests.calls(namespace=NS) == []


def _status_reason(operator: Operator) -> str | None:
    status = operator.api.get(NETWORK_ASSERTIONS, "web", NS).get("status") or {}
    conditions = status.get("conditions") or [{}]
    reason = conditions[0].get("reason")
    return str(reason) if reason else None


def test_a_passing_failure_is_retried_quietly_and_shown_in_status_at_the_third(
    operator: Operator,
) -> None:
    """Transient failures back off (doubling) without a trace in status for the first two;
    the third in a row writes ReconcileError to status and posts a Warning event."""
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.sim.faults.fail_next(
        FAILURES_BEFORE_STATUS, code=500, verb="create", path="/configmaps"
    )
    for attempt in range(1, FAILURES_BEFORE_STATUS):
        operator.sim.requests.clear()
        operator.controller.process(KEY)
        assert operator.controller.queue.failures(KEY) == attempt
        assert operator.writes() == ["POST configmaps"]
    operator.sim.requests.clear()
    operator.controller.process(KEY)
    assert operator.writes() == [
        "POST configmaps",
        "PATCH networkassertions/status",
        "POST events",
    ]
    assert _status_reason(operator) == RECONCILE_ERROR
    assert operator.event_reasons() == [RECONCILE_ERROR]
    operator.sim.requests.clear()
    operator.controller.process(KEY)  # the fault is spent: the reconcile succeeds
    assert operator.controller.queue.failures(KEY) == 0
    assert "POST configmaps" in operator.writes()
    assert _status_reason(operator) != RECONCILE_ERROR


def test_a_taken_name_is_shown_at_once_and_retried_slowly(operator: Operator) -> None:
    """A ConfigMap of the child's name that is not ours cannot be fixed by retrying soon:
    the error is in status after the first failure and the retry waits SLOW_RETRY."""
    operator.api.create(CONFIGMAPS, {"metadata": {"name": "web-netchecks-config"}}, NS)
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.sim.requests.clear()
    with pytest.raises(NameTakenError) as caught:
        operator.controller.reconcile(KEY)
    assert operator.controller.error_policy(KEY, caught.value) >= SLOW_RETRY
    assert _status_reason(operator) == RECONCILE_ERROR
    assert operator.writes() == [
        "POST configmaps",
        "PATCH networkassertions/status",
        "POST events",
    ]


@pytest.mark.parametrize(
    ("error", "at_least", "below"),
    [
        (InvalidError("422 Invalid: refused", status=422), SLOW_RETRY, None),
        (TransientError("429 TooManyRequests", status=429, retry_after=7.0), 7.0, SLOW_RETRY),
        (TransientError("503", status=503), 0.0, 1.0),
    ],
)
def test_the_retry_delay_follows_the_kind_of_error(
    operator: Operator, error: Exception, at_least: float, below: float | None
) -> None:
    """Refused objects wait SLOW_RETRY; throttling honours Retry-After; a first passing
    error retries at the queue's base delay."""
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    delay = operator.controller.error_policy(KEY, error)
    assert delay >= at_least
    if below is not None:
        assert delay < below
