# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A13 (+C6): Leases with RV-conditional PUT, leader election of the official
client, core/v1 and events.k8s.io/v1 Events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest
from kubernetes import client
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock

from tools.kubesim.testing import api_client, body_of


def test_lease_put_with_stale_resource_version_is_409(kube_api, kube_namespace) -> None:
    """Real: renewals PUT the previously read Lease; a stale RV loses with 409."""
    coord = client.CoordinationV1Api(kube_api)
    now = datetime.now(UTC)
    coord.create_namespaced_lease(
        kube_namespace,
        {
            "metadata": {"name": "l"},
            "spec": {
                "holderIdentity": "a",
                "leaseDurationSeconds": 10,
                "acquireTime": now,
                "renewTime": now,
            },
        },
    )
    mine = coord.read_namespaced_lease("l", kube_namespace)
    theirs = coord.read_namespaced_lease("l", kube_namespace)
    theirs.spec.holder_identity = "b"
    coord.replace_namespaced_lease("l", kube_namespace, theirs)
    mine.spec.renew_time = datetime.now(UTC)
    with pytest.raises(client.ApiException) as err:
        coord.replace_namespaced_lease("l", kube_namespace, mine)
    assert err.value.status == 409
    raw = coord.read_namespaced_lease("l", kube_namespace, _preload_content=False).data
    assert b'"renewTime": "' in raw


def test_lease_times_are_micro_time(kube_api, kube_namespace) -> None:
    """Real: MicroTime is emitted as RFC 3339 with microseconds and Z."""
    import json

    coord = client.CoordinationV1Api(kube_api)
    coord.create_namespaced_lease(
        kube_namespace,
        {
            "metadata": {"name": "l"},
            "spec": {
                "holderIdentity": "a",
                "renewTime": datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            },
        },
    )
    raw = json.loads(coord.read_namespaced_lease("l", kube_namespace, _preload_content=False).data)
    assert raw["spec"]["renewTime"] == "2030-01-02T03:04:05.678901Z"


def test_zone_less_time_is_400(kubesim, kube_namespace) -> None:
    """Real: metav1 times parse with RFC 3339; a naive datetime is a decode error."""
    import json
    import urllib.error
    import urllib.request

    body = {"metadata": {"name": "l"}, "spec": {"renewTime": "2030-01-01T00:00:00"}}
    req = urllib.request.Request(
        f"{kubesim.url}/apis/coordination.k8s.io/v1/namespaces/{kube_namespace}/leases",
        data=json.dumps(body).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    err.value.close()
    assert err.value.code == 400


class Candidate:
    """One leader-election participant running the official client's LeaderElection."""

    def __init__(self, api: client.ApiClient, namespace: str, identity: str) -> None:
        self.api = api
        lock = LeaseLock("leader", namespace, identity)
        lock.api_instance = client.CoordinationV1Api(api)
        self.leading = threading.Event()
        self.stopped = threading.Event()
        config = electionconfig.Config(
            lock,
            lease_duration=3,
            renew_deadline=2,
            retry_period=1,
            onstarted_leading=self.leading.set,
            onstopped_leading=self.stopped.set,
        )
        self.config = config
        self.election = leaderelection.LeaderElection(config)
        self.thread = threading.Thread(target=self.election.run, daemon=True)

    def halt(self) -> None:
        """The official loop has no stop switch: a follower 'acquires' and a leader fails its
        renewals, so both reach the end of ``run()``."""
        self.config.renew_deadline = 0
        self.election.try_acquire_or_renew = (  # type: ignore[method-assign]
            lambda: not self.leading.is_set()
        )
        try:
            self.thread.join(timeout=8)
            assert not self.thread.is_alive()
        finally:
            self.api.close()


def test_leader_election_over_a_lease(kubesim, kube_faults, kubeconfig, kube_namespace) -> None:
    """kubernetes.leaderelection works unchanged: GET 404 (JSON code) -> POST the Lease; the
    leader renews with RV-conditional PUTs; when its renewals fail (injected 500s) it stops
    leading and, once the lease expires, the other candidate takes over."""
    a = Candidate(api_client(kubeconfig), kube_namespace, "alpha")
    b = Candidate(api_client(kubeconfig), kube_namespace, "beta")
    try:
        a.thread.start()
        assert a.leading.wait(5)
        b.thread.start()
        coord_api = api_client(kubeconfig)
        coord = client.CoordinationV1Api(coord_api)
        lease = coord.read_namespaced_lease("leader", kube_namespace)
        assert lease.spec.holder_identity == "alpha"
        assert not b.leading.wait(1.5)
        kube_faults.fail_next(1000, code=500, verb="update", path="/leases/leader")
        assert a.stopped.wait(5)
        kube_faults.clear()
        assert b.leading.wait(10)
        lease = coord.read_namespaced_lease("leader", kube_namespace)
        assert lease.spec.holder_identity == "beta"
        coord_api.close()
    finally:
        a.halt()
        b.halt()


def test_core_events_and_events_v1_share_storage(kube_api, kube_namespace) -> None:
    """Real: events.k8s.io/v1 is another view of core/v1 Events (note->message,
    regarding->involvedObject, reportingController->reportingComponent)."""
    core = client.CoreV1Api(kube_api)
    events = client.EventsV1Api(kube_api)
    now = datetime.now(UTC)
    events.create_namespaced_event(
        kube_namespace,
        {
            "metadata": {"name": "e1"},
            "eventTime": now,
            "action": "Check",
            "reason": "Done",
            "note": "it worked",
            "type": "Normal",
            "reportingController": "example.com/ctl",
            "reportingInstance": "ctl-1",
            "regarding": {"kind": "ConfigMap", "name": "c", "namespace": kube_namespace},
        },
    )
    seen = core.read_namespaced_event("e1", kube_namespace)
    assert (seen.message, seen.reason, seen.involved_object.name) == ("it worked", "Done", "c")
    assert seen.reporting_component == "example.com/ctl"
    v1 = events.read_namespaced_event("e1", kube_namespace)
    assert v1.note == "it worked" and v1.regarding.kind == "ConfigMap"


def test_events_v1_requires_event_time(kube_api, kube_namespace) -> None:
    events = client.EventsV1Api(kube_api)
    with pytest.raises((client.ApiException, pydantic.ValidationError)):
        events.create_namespaced_event(
            kube_namespace, {"metadata": {"name": "e2"}, "reason": "x", "action": "y"}
        )


def test_listing_core_events_through_events_v1_has_null_event_time(
    kube_api, kube_namespace
) -> None:
    """Known client issue reproduced faithfully: core-created events have eventTime null in
    the events.k8s.io view, so EventsV1Api's strict model refuses the list."""
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_event(
        kube_namespace,
        {
            "metadata": {"name": "old"},
            "reason": "R",
            "message": "m",
            "type": "Normal",
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": kube_namespace},
        },
    )
    assert [e.metadata.name for e in core.list_namespaced_event(kube_namespace).items] == ["old"]
    with pytest.raises(pydantic.ValidationError):
        client.EventsV1Api(kube_api).list_namespaced_event(kube_namespace)
    raw: Any = client.EventsV1Api(kube_api).list_namespaced_event(
        kube_namespace, _preload_content=False
    )
    import json

    assert json.loads(raw.data)["items"][0]["eventTime"] is None


def test_event_errors_use_status_bodies(kube_api, kube_namespace) -> None:
    with pytest.raises(client.ApiException) as err:
        client.CoreV1Api(kube_api).read_namespaced_event("nope", kube_namespace)
    assert body_of(err.value)["code"] == 404


@pytest.mark.parametrize("name", ["a" * 237 + "." + "f" * 16, "web-.17a2b3c4d5e6f708"])
def test_event_names_must_be_dns_subdomains_of_at_most_253(kube_api, kube_namespace, name) -> None:
    """Real: an Event named after a 237+ character object plus ``.<hex>`` is refused (422)."""
    with pytest.raises(client.ApiException) as err:
        client.CoreV1Api(kube_api).create_namespaced_event(
            kube_namespace,
            {
                "metadata": {"name": name},
                "reason": "R",
                "message": "m",
                "type": "Normal",
                "involvedObject": {"kind": "Pod", "name": "p", "namespace": kube_namespace},
            },
        )
    assert err.value.status == 422 and body_of(err.value)["reason"] == "Invalid"
