# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A6 (+C1 bookmarks): watch semantics, through `kubernetes.watch.Watch`."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client, watch

from tools.kubesim.testing import wait_for


def _raw_watch(url: str, timeout: float = 5.0) -> list[bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        assert resp.status == 200
        assert resp.headers["Transfer-Encoding"] == "chunked"
        return list(resp.read().split(b"\n"))


def test_watch_without_rv_starts_with_synthetic_added(core, kube_namespace) -> None:
    """Real: RV unset -> ADDED for every current object, then changes; timeoutSeconds ends
    the stream cleanly."""
    for name in ("a", "b"):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": name}})
    events = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_config_map, kube_namespace, timeout_seconds=1
        )
    ]
    assert events == [("ADDED", "a"), ("ADDED", "b")]


def test_watch_from_rv_sends_only_later_events_in_order(core, kube_namespace) -> None:
    """Real: RV given -> only changes after it: ADDED, MODIFIED, DELETED (DELETED carries the
    deletion's RV)."""
    listed = core.list_namespaced_config_map(kube_namespace)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "a"}})
    core.patch_namespaced_config_map("a", kube_namespace, {"data": {"k": "v"}})
    last = core.read_namespaced_config_map("a", kube_namespace)
    core.delete_namespaced_config_map("a", kube_namespace)
    got = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=1,
        )
    )
    assert [e["type"] for e in got] == ["ADDED", "MODIFIED", "DELETED"]
    rvs = [int(e["object"].metadata.resource_version) for e in got]
    assert rvs == sorted(rvs)
    assert rvs[-1] > int(last.metadata.resource_version)
    assert got[-1]["object"].data == {"k": "v"}


def test_watch_stream_is_one_json_per_line_without_blank_lines(
    kubesim, core, kube_namespace
) -> None:
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "a"}})
    lines = _raw_watch(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps?watch=true&timeoutSeconds=1"
    )
    assert lines[-1] == b""  # the stream ends with a newline, nothing after it
    body = lines[:-1]
    assert body and all(line.strip() for line in body)
    assert json.loads(body[0])["object"]["kind"] == "ConfigMap"


def test_selector_enter_and_leave_become_added_and_deleted(core, kube_namespace) -> None:
    """Real (cacher): an update moving an object into a watch's selector is ADDED, out of it
    DELETED (old content, new RV)."""
    start = core.list_namespaced_config_map(kube_namespace).metadata.resource_version
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "a", "labels": {"x": "0"}}}
    )
    core.patch_namespaced_config_map("a", kube_namespace, {"metadata": {"labels": {"x": "1"}}})
    core.patch_namespaced_config_map(
        "a", kube_namespace, {"metadata": {"labels": {"x": "1"}}, "data": {"k": "v"}}
    )
    moved = core.patch_namespaced_config_map(
        "a", kube_namespace, {"metadata": {"labels": {"x": "2"}}}
    )
    got = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            label_selector="x=1",
            resource_version=start,
            timeout_seconds=1,
        )
    )
    assert [e["type"] for e in got] == ["ADDED", "MODIFIED", "DELETED"]
    assert got[-1]["object"].metadata.labels == {"x": "1"}
    assert got[-1]["object"].metadata.resource_version == moved.metadata.resource_version


def test_field_selector_on_watch(core, kube_namespace) -> None:
    for name in ("a", "b"):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": name}})
    got = [
        e["object"].metadata.name
        for e in watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            field_selector="metadata.name=b",
            timeout_seconds=1,
        )
    ]
    assert got == ["b"]


def test_live_events_reach_a_running_watch(core, kube_namespace) -> None:
    w = watch.Watch()
    seen: list[tuple[str, str]] = []

    def consume() -> None:
        for event in w.stream(core.list_namespaced_config_map, kube_namespace, timeout_seconds=3):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                w.stop()

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.2)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "live"}})
    core.delete_namespaced_config_map("live", kube_namespace)
    thread.join(timeout=5)
    assert seen == [("ADDED", "live"), ("DELETED", "live")]


def test_bookmarks_only_when_allowed(kubesim, core, kube_namespace) -> None:
    """Real: BOOKMARK only with allowWatchBookmarks; it carries just kind, apiVersion and
    metadata.resourceVersion, and Watch updates its resource_version from it."""
    w = watch.Watch()
    got = list(
        w.stream(
            core.list_namespaced_config_map,
            kube_namespace,
            allow_watch_bookmarks=True,
            timeout_seconds=2,
        )
    )
    marks = [e for e in got if e["type"] == "BOOKMARK"]
    assert marks
    obj: dict[str, Any] = marks[-1]["raw_object"]
    assert set(obj) == {"kind", "apiVersion", "metadata"}
    assert set(obj["metadata"]) == {"resourceVersion"}
    assert w.resource_version == obj["metadata"]["resourceVersion"]
    plain = list(
        watch.Watch().stream(core.list_namespaced_config_map, kube_namespace, timeout_seconds=1)
    )
    assert not [e for e in plain if e["type"] == "BOOKMARK"]


def test_too_old_resource_version_is_error_event_410(make_kubesim) -> None:
    """Real: HTTP 200 then an ERROR event with a Status (code 410, reason Expired), then the
    stream closes; Watch retries once and then raises ApiException(410)."""
    sim = make_kubesim(history_size=5, controllers=False)
    rt = sim.api.resource("", "v1", "configmaps")
    for i in range(10):
        sim.api.create(rt, "default", {"metadata": {"name": f"c{i}"}})
    lines = _raw_watch(
        f"{sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=3"
    )
    event = json.loads(lines[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith("too old resource version: 3 (")
    with sim.client() as api, pytest.raises(client.ApiException) as err:
        for _ in watch.Watch().stream(
            client.CoreV1Api(api).list_namespaced_config_map, "default", resource_version="3"
        ):
            pass
    assert err.value.status == 410


def test_informer_style_list_then_watch(core, kube_namespace) -> None:
    """The list's metadata.resourceVersion is a valid watch start point."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "before"}})
    listed = core.list_namespaced_config_map(kube_namespace)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "after"}})
    got = [
        e["object"].metadata.name
        for e in watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=1,
        )
    ]
    assert got == ["after"]


def test_dozens_of_concurrent_watches(kubesim, core, kube_namespace) -> None:
    """Fan-out: 40 concurrent watches all see the same event promptly."""
    count = 40
    seen = threading.Barrier(count + 1, timeout=10)
    results: list[str] = []
    lock = threading.Lock()

    def consume() -> None:
        with kubesim.client() as api:
            w = watch.Watch()
            for event in w.stream(
                client.CoreV1Api(api).list_namespaced_config_map,
                kube_namespace,
                resource_version=start,
                timeout_seconds=8,
            ):
                with lock:
                    results.append(event["object"].metadata.name)
                w.stop()
        seen.wait()

    start = core.list_namespaced_config_map(kube_namespace).metadata.resource_version
    threads = [threading.Thread(target=consume, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    wait_for(lambda: kubesim.open_watches >= count, 10, what="watches open")
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "fan"}})
    seen.wait()
    assert results == ["fan"] * count


@pytest.mark.parametrize(
    "query",
    [
        "watch=true&timeoutSeconds=soon",
        "watch=true&timeoutSeconds=nan",
        "limit=many",
        "limit=1.5",
    ],
)
def test_a_malformed_number_in_the_query_is_a_bad_request(kubesim, kube_namespace, query) -> None:
    """Real: query parameters that do not decode are 400 BadRequest, not an internal error."""
    url = f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps?{query}"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=5)
    status = json.loads(err.value.read())
    assert err.value.code == 400
    assert status["reason"] == "BadRequest"
    assert "Internal error" not in status["message"]


def test_a_malformed_grace_period_on_delete_is_a_bad_request(core, kubesim, kube_namespace) -> None:
    """Real: the delete is refused (400) and the object stays."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "kept"}})
    url = f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps/kept?gracePeriodSeconds=x"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=5)
    assert err.value.code == 400
    assert json.loads(err.value.read())["reason"] == "BadRequest"
    assert core.read_namespaced_config_map("kept", kube_namespace).metadata.name == "kept"
