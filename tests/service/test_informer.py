"""The informer against kubesim: relist after 410, bookmark resumes, optional CRDs, write-through.

Each informer runs in its own daemon thread and is stopped at the end of the test;
kubesim's faults make the watch lose events the way a real server does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_core.resources import Resource
from netchecks_service.cachefilters import changed, keep
from netchecks_service.cacheindex import label_index
from netchecks_service.informer import Informer
from netchecks_service.kube import CONFIGMAPS, CRDS, KubeApi

from tools.kubesim import KubeSim
from tools.kubesim.testing import wait_for

ROOT = Path(__file__).resolve().parents[2]
NETWORK_ASSERTION_CRD = ROOT / "charts/netchecks/files/crds/netchecks.io_networkassertions.yaml"
NETWORK_ASSERTIONS = Resource("netchecks.io", "v1", "networkassertions", "NetworkAssertion")

PrivateKube = Callable[..., tuple[KubeSim, KubeApi]]


class Events:
    """An informer handler that records ``(type, name)`` of every event, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, kind: str, obj: dict[str, Any]) -> None:
        with self._lock:
            self.seen.append((kind, obj["metadata"]["name"]))

    def has(self, kind: str, name: str) -> bool:
        with self._lock:
            return (kind, name) in self.seen


@pytest.fixture
def informers(started: Callable[[Any], Any]) -> Callable[..., Informer]:
    """``informers(api, resource, **options)``: a started informer, stopped after the test."""

    def start(api: KubeApi, resource: Resource, **options: Any) -> Informer:
        informer = Informer(api, resource, **options)
        started(informer)
        return informer

    return start


class BookmarkTap(KubeApi):
    """The real adapter, noting the resourceVersion of every BOOKMARK its watches yield."""

    bookmarks: list[str]

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.bookmarks = getattr(self, "bookmarks", [])
        for event in super().watch(*args, **kwargs):
            if event.get("type") == "BOOKMARK":
                self.bookmarks.append(event["object"]["metadata"]["resourceVersion"])
            yield event


def configmap(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"k": "v"}}


def test_a_delete_missed_while_disconnected_is_emitted_after_the_410_relist(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """The watch reconnects only after ``b`` was deleted and the history compacted: the
    resume gets 410 Expired, the informer lists again and emits the DELETED it missed."""
    sim, api = private_kube()
    for name in ("a", "b"):
        api.create(CONFIGMAPS, configmap(name), "default")
    events = Events()
    informer = informers(api, CONFIGMAPS, namespace="default", handler=events)
    wait_for(lambda: events.has("ADDED", "b") and sim.open_watches, timeout=5, what="watching")
    sim.faults.add_latency(1.0, verb="watch")  # the reconnect arrives after the delete
    sim.faults.drop_watches()
    api.delete(CONFIGMAPS, "b", "default")
    sim.faults.expire_history()
    wait_for(lambda: events.has("DELETED", "b"), timeout=10, what="DELETED b")
    assert informer.get("default", "b") is None
    assert informer.get("default", "a") is not None
    assert informer.list_count == 2
    assert events.seen.count(("ADDED", "a")) == 1, "a relist re-announces nothing unchanged"


def test_a_watch_resumes_from_the_last_bookmark_without_a_relist(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """Writes elsewhere move the resourceVersion on; bookmarks carry it to the informer,
    and the watch after a drop resumes from the bookmark's version, not the list's."""
    sim, plain = private_kube(bookmark_interval=0.1)
    api = BookmarkTap(plain.api_client)
    api.create(CONFIGMAPS, configmap("mine"), "default")
    informer = informers(api, CONFIGMAPS, namespace="default")
    wait_for(lambda: informer.synced.is_set() and sim.open_watches, timeout=5, what="watching")
    listed_at = int(api.list(CONFIGMAPS, "default")["metadata"]["resourceVersion"])
    api.create(CONFIGMAPS, configmap("elsewhere"), "kube-public")
    bookmark = int(api.list(CONFIGMAPS, "kube-public")["metadata"]["resourceVersion"])
    assert bookmark > listed_at
    wait_for(lambda: str(bookmark) in api.bookmarks, timeout=5, what="a bookmark")
    sim.requests.clear()
    sim.faults.drop_watches()
    [resumed] = wait_for(
        lambda: [e for e in sim.requests.entries() if e.verb == "watch"], timeout=5, what="resume"
    )
    assert resumed.query["resourceVersion"] == str(bookmark)
    assert informer.list_count == 1
    assert [e.verb for e in sim.requests.entries()] == ["watch"]


def test_an_optional_resource_is_synced_empty_and_picked_up_once_its_crd_appears(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """An optional informer over a CRD that is not installed counts as synced and empty,
    keeps trying, and fills once the CRD is installed and an object created."""
    _sim, api = private_kube()
    events = Events()
    informer = informers(
        api, NETWORK_ASSERTIONS, namespace="default", optional=True, max_backoff=0.2, handler=events
    )
    wait_for(informer.synced.is_set, timeout=5, what="synced")
    assert len(informer) == 0
    api.create(CRDS, yaml.safe_load(NETWORK_ASSERTION_CRD.read_text()))
    body = {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": "late"},
        "spec": {"rules": [{"name": "r", "type": "internal", "validate": {"pattern": "true"}}]},
    }
    wait_for(lambda: _created(api, body), timeout=5, what="the CRD served")
    wait_for(lambda: events.has("ADDED", "late"), timeout=10, what="ADDED late")
    assert informer.get("default", "late") is not None


def _created(api: KubeApi, body: dict[str, Any]) -> bool:
    from netchecks_service.errors import NotFoundError

    try:
        api.create(NETWORK_ASSERTIONS, body, "default")
    except NotFoundError:
        return False
    return True


def test_a_required_resource_that_is_not_served_never_reports_synced(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """Without ``optional`` a missing CRD is an error: the informer backs off and retries
    (a second list), and readiness never claims a cache it does not have."""
    sim, api = private_kube()
    informer = informers(api, NETWORK_ASSERTIONS, namespace="default", max_backoff=0.2)
    wait_for(
        lambda: len([e for e in sim.requests.entries() if e.code == 404]) >= 2,
        timeout=5,
        what="a retried list",
    )
    assert not informer.synced.is_set()


def test_remembered_writes_are_read_before_the_watch_event_and_never_go_back(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """``remember`` puts this process's own write in the cache at once; an older version
    remembered later does not replace it, nor does the (late) watch event of the write,
    and the echo of a write already remembered is no event for the handlers."""
    _sim, api = private_kube()
    release = threading.Event()
    events = Events()

    blocked = threading.Event()

    def stuck(kind: str, obj: dict[str, Any]) -> None:
        if obj["metadata"]["name"] == "blocker":
            blocked.set()
            release.wait(10)  # the informer's thread stops here: watch events queue up
        events(kind, obj)

    api.create(CONFIGMAPS, configmap("first"), "default")
    informer = informers(api, CONFIGMAPS, namespace="default", handler=stuck)
    wait_for(informer.synced.is_set, timeout=5, what="synced")
    api.create(CONFIGMAPS, configmap("blocker"), "default")
    wait_for(blocked.is_set, timeout=5, what="the informer's thread held")
    try:
        created = api.create(CONFIGMAPS, configmap("mine"), "default")
        informer.remember(created)
        assert informer.get("default", "mine") == created
        updated = api.patch(CONFIGMAPS, "mine", {"data": {"k": "new"}}, "default")
        informer.remember(updated)
        informer.remember(created)  # an older version arriving late
        assert (informer.get("default", "mine") or {})["data"] == {"k": "new"}
    finally:
        release.set()
    api.patch(CONFIGMAPS, "first", {"data": {"k": "theirs"}}, "default")  # someone else
    wait_for(lambda: events.has("MODIFIED", "first"), timeout=5, what="a later watch event")
    cached = informer.get("default", "mine") or {}
    assert cached["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]
    assert not events.has("MODIFIED", "mine"), "our own update came back as an event"


def _labelled(name: str, owner: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"owner": owner}}, "data": {"k": "v"}}


def test_transform_shapes_listed_watched_and_remembered_objects_alike(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """The cache and the handlers only ever see transformed objects (here: no ``data``)."""
    _sim, api = private_kube()
    api.create(CONFIGMAPS, configmap("listed"), "default")
    events = Events()
    informer = informers(api, CONFIGMAPS, namespace="default", handler=events, transform=keep())
    wait_for(informer.synced.is_set, timeout=5, what="synced")
    api.create(CONFIGMAPS, configmap("watched"), "default")
    wait_for(lambda: events.has("ADDED", "watched"), timeout=5, what="ADDED watched")
    informer.remember(api.create(CONFIGMAPS, configmap("remembered"), "default"))
    for name in ("listed", "watched", "remembered"):
        cached = informer.get("default", name) or {}
        assert "data" not in cached and cached["metadata"]["name"] == name
        assert "managedFields" not in cached["metadata"]


def test_an_index_finds_the_objects_of_one_owner_as_they_come_change_and_go(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    _sim, api = private_kube()
    api.create(CONFIGMAPS, _labelled("a1", "a"), "default")
    informer = informers(
        api, CONFIGMAPS, namespace="default", indexers={"owner": label_index("owner")}
    )
    wait_for(informer.synced.is_set, timeout=5, what="synced")

    def names(owner: str) -> list[str]:
        return sorted(o["metadata"]["name"] for o in informer.indexed("owner", owner))

    assert names("a") == ["a1"]
    api.create(CONFIGMAPS, _labelled("a2", "a"), "default")
    wait_for(lambda: names("a") == ["a1", "a2"], timeout=5, what="a2 indexed")
    api.patch(CONFIGMAPS, "a1", {"metadata": {"labels": {"owner": "b"}}}, "default")
    wait_for(lambda: names("b") == ["a1"], timeout=5, what="a1 moved to b")
    assert names("a") == ["a2"]
    api.delete(CONFIGMAPS, "a2", "default")
    wait_for(lambda: names("a") == [], timeout=5, what="a2 gone from the index")


def test_updates_the_predicate_calls_irrelevant_and_echoes_of_own_deletes_are_no_events(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """An update the ``relevant`` predicate turns down is cached but not announced (here:
    one only of ``data``, as a status-only update with ``changed_except_status``); a label
    change is announced. A delete this process made and forgot comes back as no event."""
    _sim, api = private_kube()
    events = Events()
    held, release = threading.Event(), threading.Event()

    def handler(kind: str, obj: dict[str, Any]) -> None:
        if obj["metadata"]["name"] == "blocker":
            held.set()
            release.wait(10)  # watch events queue up behind this one
        events(kind, obj)

    def beyond_data(cached: dict[str, Any], incoming: dict[str, Any]) -> bool:
        return changed(
            {k: v for k, v in cached.items() if k != "data"},
            {k: v for k, v in incoming.items() if k != "data"},
        )

    informer = informers(
        api, CONFIGMAPS, namespace="default", handler=handler, relevant=beyond_data
    )
    wait_for(informer.synced.is_set, timeout=5, what="synced")
    api.create(CONFIGMAPS, _labelled("x", "a"), "default")
    wait_for(lambda: events.has("ADDED", "x"), timeout=5, what="ADDED x")
    api.patch(CONFIGMAPS, "x", {"data": {"k": "new"}}, "default")
    wait_for(
        lambda: (informer.get("default", "x") or {}).get("data") == {"k": "new"},
        timeout=5,
        what="the update cached",
    )
    assert not events.has("MODIFIED", "x")
    api.patch(CONFIGMAPS, "x", {"metadata": {"labels": {"owner": "b"}}}, "default")
    wait_for(lambda: events.has("MODIFIED", "x"), timeout=5, what="MODIFIED x (labels)")
    api.create(CONFIGMAPS, configmap("blocker"), "default")
    wait_for(held.is_set, timeout=5, what="the informer's thread held")
    try:  # as a controller does: delete, then forget, before the watch tells
        api.delete(CONFIGMAPS, "x", "default")
        informer.forget("default", "x")
    finally:
        release.set()
    api.create(CONFIGMAPS, configmap("after"), "default")
    wait_for(lambda: events.has("ADDED", "after"), timeout=5, what="a later event")
    assert not events.has("DELETED", "x"), "the echo of our own delete was announced"


def test_a_list_is_read_page_by_page_into_one_cache(
    private_kube: PrivateKube, informers: Callable[..., Informer]
) -> None:
    """With ``page_size`` 2, five objects come in three pages (``limit`` and ``continue``)
    and make one cache, from which the watch then resumes."""
    sim, api = private_kube()
    for i in range(5):
        api.create(CONFIGMAPS, configmap(f"c{i}"), "default")
    sim.requests.clear()
    events = Events()
    informer = informers(api, CONFIGMAPS, namespace="default", handler=events, page_size=2)
    wait_for(informer.synced.is_set, timeout=5, what="synced")
    pages = [e for e in sim.requests.entries("default") if e.verb == "list"]
    assert [e.query.get("limit") for e in pages] == ["2", "2", "2"]
    assert [bool(e.query.get("continue")) for e in pages] == [False, True, True]
    assert sorted(o["metadata"]["name"] for o in informer.items()) == [f"c{i}" for i in range(5)]
    api.create(CONFIGMAPS, configmap("later"), "default")
    wait_for(lambda: events.has("ADDED", "later"), timeout=5, what="the watch after the pages")
