"""Leader election against kubesim's Leases: one leader at a time, quick hand-over, stepping down.

Durations are short (lease 1-2 s, retry 0.05-0.1 s) so each test covers several lease
periods in a couple of seconds. Every elector is stopped (and joined) at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from netchecks_service.errors import ConflictError
from netchecks_service.kube import LEASES, KubeApi
from netchecks_service.leader import LeaderElector

from tools.kubesim.faults import Faults
from tools.kubesim.testing import wait_for

Electors = Callable[..., LeaderElector]


@pytest.fixture
def electors(kube: KubeApi, kube_namespace: str, started: Callable[[Any], Any]) -> Electors:
    """``electors(identity, **timing)``: a started elector for the test's Lease (stopped,
    so releasing it, at the end of the test)."""

    def start(identity: str, **timing: Any) -> LeaderElector:
        timing = {"lease_duration": 1.0, "renew_deadline": 0.6, "retry_period": 0.05, **timing}
        elector = LeaderElector(
            kube, name="lock", namespace=kube_namespace, identity=identity, **timing
        )
        started(elector)
        return elector

    return start


def leaders(candidates: list[LeaderElector]) -> list[str]:
    return [e.identity for e in candidates if e.is_leader.is_set()]


def sample_leaders(candidates: list[LeaderElector], seconds: float) -> set[tuple[str, ...]]:
    """Who leads, sampled every 5 ms for ``seconds`` (each distinct answer once)."""
    seen: set[tuple[str, ...]] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.add(tuple(leaders(candidates)))
        time.sleep(0.005)
    return seen


def test_two_electors_never_lead_at_once_even_when_renewals_fail(
    electors: Electors, kube_faults: Faults, kube_namespace: str
) -> None:
    """Over several lease periods, with a burst of failed Lease writes in the middle that
    makes the leader step down and the other take over, at most one leads at any time."""
    candidates = [electors("a"), electors("b")]
    wait_for(lambda: leaders(candidates), timeout=5, what="a leader")
    seen = sample_leaders(candidates, 1.0)
    kube_faults.fail_next(20, code=500, verb="update", path=f"/namespaces/{kube_namespace}/leases/")
    seen |= sample_leaders(candidates, 2.0)
    assert max(len(who) for who in seen) == 1, seen
    assert () in seen, "the failed renewals should have made the leader step down"


def test_the_successor_leads_within_the_lease_duration_after_a_release(
    electors: Electors, kube: KubeApi, kube_namespace: str
) -> None:
    """A leader that stops releases the Lease (holder cleared); the waiting candidate takes
    it at its next retry instead of waiting out the lease, and counts one transition."""
    first = electors("first", lease_duration=2.0, renew_deadline=1.0, retry_period=0.1)
    wait_for(first.is_leader.is_set, timeout=5, what="first leads")
    second = electors("second", lease_duration=2.0, renew_deadline=1.0, retry_period=0.1)
    first.stop.set()
    first.join(timeout=5)
    released = kube.get(LEASES, "lock", kube_namespace)["spec"]
    assert released.get("holderIdentity") is None
    wait_for(second.is_leader.is_set, timeout=2.0, what="second leads within lease_duration")
    spec = kube.get(LEASES, "lock", kube_namespace)["spec"]
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("second", 1)


def take_lease(kube: KubeApi, namespace: str, holder: str, *, duration: int) -> None:
    """Write ``holder`` into the Lease as another replica would: get, then conditional
    replace, again on a conflict (the leader renews every retry period)."""

    def replaced() -> bool:
        lease = kube.get(LEASES, "lock", namespace)
        lease["spec"].update(holderIdentity=holder, leaseDurationSeconds=duration)
        kube.replace(LEASES, lease, namespace)
        return True

    wait_for(replaced, timeout=5, what=f"{holder} taking the lease", ignoring=(ConflictError,))


def test_a_leader_whose_lease_is_taken_steps_down_after_the_renew_deadline(
    electors: Electors, kube: KubeApi, kube_namespace: str
) -> None:
    """Someone else writes the Lease (a newer holder with a long lease): the leader's
    renewals stop succeeding, so it stops leading and calls ``on_stopped``."""
    stopped = threading.Event()
    elector = electors("me")
    elector.on_stopped = stopped.set
    wait_for(elector.is_leader.is_set, timeout=5, what="leading")
    take_lease(kube, kube_namespace, "intruder", duration=60)
    assert stopped.wait(5), "the leader did not step down"
    assert not elector.is_leader.is_set()
    assert kube.get(LEASES, "lock", kube_namespace)["spec"]["holderIdentity"] == "intruder"


def test_a_deleted_lease_is_recreated_by_its_leader_which_keeps_leading(
    electors: Electors, kube: KubeApi, kube_namespace: str
) -> None:
    """client-go's algorithm: a Lease that disappears is created again by the next
    candidate to look, here the leader itself, which never stopped leading."""
    stopped = threading.Event()
    elector = electors("me")
    elector.on_stopped = stopped.set
    wait_for(elector.is_leader.is_set, timeout=5, what="leading")
    old_uid = kube.get(LEASES, "lock", kube_namespace)["metadata"]["uid"]
    kube.delete(LEASES, "lock", kube_namespace)

    def recreated() -> dict[str, Any] | None:
        lease = wait_for(lambda: _lease(kube, kube_namespace), timeout=5, what="a Lease")
        return lease if lease["metadata"]["uid"] != old_uid else None

    lease = wait_for(recreated, timeout=5, what="the Lease re-created")
    assert lease["spec"]["holderIdentity"] == "me"
    assert elector.is_leader.is_set() and not stopped.is_set()


def _lease(kube: KubeApi, namespace: str) -> dict[str, Any] | None:
    from netchecks_service.errors import NotFoundError

    try:
        return kube.get(LEASES, "lock", namespace)
    except NotFoundError:
        return None


def test_a_leader_that_reads_another_holder_stops_leading_at_that_look(
    electors: Electors, kube: KubeApi, kube_namespace: str
) -> None:
    """Safety: once the leader has seen someone else hold a valid Lease, it must not go on
    leading; otherwise two replicas reconcile at once (seen with a deleted Lease: the
    candidate re-creates it first and leads while the old leader still does)."""
    elector = electors("me", lease_duration=10.0, renew_deadline=5.0, retry_period=0.05)
    wait_for(elector.is_leader.is_set, timeout=5, what="leading")
    take_lease(kube, kube_namespace, "other", duration=60)
    wait_for(lambda: not elector.is_leader.is_set(), timeout=1.0, what="stepping down")
