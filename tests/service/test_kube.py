"""The Kubernetes adapter (``KubeApi``) against kubesim: error kinds, request counts, log tails.

Each status code the API server answers is turned into one error kind that the loops
switch on (not found, conflict, gone, invalid, transient with its retry delay). The
codes come from kubesim's real behaviour where it has one, else from injected faults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from netchecks_core.resources import Resource
from netchecks_service.errors import (
    ConflictError,
    GoneError,
    InvalidError,
    KubeError,
    NotFoundError,
    TransientError,
)
from netchecks_service.kube import CONFIGMAPS, PODS, KubeApi
from netchecks_service.telemetry import prometheus_text, setup_metrics
from prometheus_client.parser import text_string_to_metric_families

from tools.kubesim import KubeSim
from tools.kubesim.faults import Faults
from tools.kubesim.testing import pod_manifest, wait_for

PrivateKube = Callable[..., tuple[KubeSim, KubeApi]]


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": data}


def test_a_missing_object_namespace_or_resource_is_not_found(
    kube: KubeApi, kube_namespace: str
) -> None:
    for call in (
        lambda: kube.get(CONFIGMAPS, "nope", kube_namespace),
        lambda: kube.list(Resource("nothere.io", "v1", "widgets", "Widget")),
        lambda: kube.delete(CONFIGMAPS, "nope", kube_namespace),
    ):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert caught.value.status == 404


def test_a_taken_name_and_a_stale_write_are_conflicts_told_apart_by_reason(
    kube: KubeApi, kube_namespace: str
) -> None:
    first = kube.create(CONFIGMAPS, configmap("c", a="1"), kube_namespace)
    with pytest.raises(ConflictError) as taken:
        kube.create(CONFIGMAPS, configmap("c"), kube_namespace)
    assert (taken.value.status, taken.value.reason) == (409, "AlreadyExists")
    kube.patch(CONFIGMAPS, "c", {"data": {"a": "2"}}, kube_namespace)
    with pytest.raises(ConflictError) as stale:
        kube.replace(CONFIGMAPS, first, kube_namespace)  # carries the old resourceVersion
    assert (stale.value.status, stale.value.reason) == (409, "Conflict")


def test_an_expired_resource_version_is_gone_for_lists_and_watches(
    private_kube: PrivateKube,
) -> None:
    """A watch resumed from a compacted version gets HTTP 200 then an ERROR 410 event;
    the adapter raises it as :class:`GoneError`, like an injected 410 on a list."""
    sim, api = private_kube()
    listed = api.list(CONFIGMAPS, "default")["metadata"]["resourceVersion"]
    api.create(CONFIGMAPS, configmap("c"), "default")
    sim.faults.expire_history()
    with pytest.raises(GoneError) as caught:
        list(api.watch(CONFIGMAPS, "default", resource_version=listed, timeout_seconds=2))
    assert caught.value.status == 410
    sim.faults.fail_next(1, code=410, verb="list")
    with pytest.raises(GoneError):
        api.list(CONFIGMAPS, "default")


def test_refused_objects_are_invalid_whatever_the_code_used(private_kube: PrivateKube) -> None:
    """422 (a bad name), 413 (a body over the request limit) and etcd's 500 "request is
    too large" all mean: this write fails again on every retry."""
    _sim, api = private_kube(max_request_body_bytes=50_000, etcd_max_request_bytes=20_000)
    cases = [
        (configmap("Bad_Name"), 422),
        (configmap("huge", a="x" * 60_000), 413),
        (configmap("large", a="x" * 30_000), 500),
    ]
    for body, code in cases:
        with pytest.raises(InvalidError) as caught:
            api.create(CONFIGMAPS, body, "default")
        assert caught.value.status == code
    assert "etcdserver: request is too large" in str(caught.value)
    assert api.list(CONFIGMAPS, "default")["items"] == []


@pytest.mark.parametrize(
    ("code", "retry_after"), [(429, 3.0), (503, 1.0), (500, None), (504, None)]
)
def test_throttling_and_server_errors_are_transient_with_the_servers_retry_delay(
    kube: KubeApi, kube_faults: Faults, kube_namespace: str, code: int, retry_after: float | None
) -> None:
    seconds = None if retry_after is None else int(retry_after)
    kube_faults.fail_next(
        1, code=code, verb="create", path=f"/namespaces/{kube_namespace}/", retry_after=seconds
    )
    with pytest.raises(TransientError) as caught:
        kube.create(CONFIGMAPS, configmap("c"), kube_namespace)
    assert (caught.value.status, caught.value.retry_after) == (code, retry_after)
    assert kube.create(CONFIGMAPS, configmap("c"), kube_namespace)  # it heals


def test_an_unreachable_server_is_a_transient_connection_error(private_kube: PrivateKube) -> None:
    sim, api = private_kube()
    api.list(CONFIGMAPS, "default")
    sim.stop()
    with pytest.raises(TransientError) as caught:
        api.get(CONFIGMAPS, "c", "default")
    assert caught.value.reason == "ConnectionError"


def _request_counts() -> dict[tuple[str, str], float]:
    text = prometheus_text()[0].decode()
    return {
        (sample.labels["verb"], sample.labels["code"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "netchecks_kube_requests_total"
    }


def test_requests_are_counted_by_verb_and_status_code(kube: KubeApi, kube_namespace: str) -> None:
    setup_metrics("netchecks-test", "0")
    before = _request_counts()
    kube.create(CONFIGMAPS, configmap("c"), kube_namespace)
    with pytest.raises(NotFoundError):
        kube.get(CONFIGMAPS, "nope", kube_namespace)
    list(kube.watch(CONFIGMAPS, kube_namespace, timeout_seconds=1))
    after = _request_counts()
    delta = {key: after[key] - before.get(key, 0.0) for key in after}
    assert {key: n for key, n in delta.items() if n} == {
        ("POST", "201"): 1,
        ("GET", "404"): 1,
        ("WATCH", "200"): 1,
    }


def _pod_that_prints(kube: KubeApi, namespace: str, name: str, lines: int) -> None:
    """A Pod whose log is ``line 000001`` ... ``line <lines>``, run to completion."""
    script = f"import sys\nfor i in range(1, {lines + 1}): print(f'line {{i:06d}}')"
    kube.create(PODS, pod_manifest(name, [sys.executable, "-c", script]), namespace)

    def finished() -> bool:
        phase = (kube.get(PODS, name, namespace).get("status") or {}).get("phase")
        return phase in ("Succeeded", "Failed")

    wait_for(finished, timeout=20, what=f"pod {name} finished")


@pytest.mark.e2e  # starts a process
def test_a_log_tail_keeps_the_last_bytes_of_a_log_longer_than_the_tail(
    kube: KubeApi, kube_namespace: str
) -> None:
    """About 300 KB of log (several stream chunks) through a 1 KB tail: the tail ends
    with the last line, holds exactly ``max_bytes`` and says it was cut."""
    _pod_that_prints(kube, kube_namespace, "chatty", 25_000)
    tail, cut = kube.read_log_tail("chatty", kube_namespace, max_bytes=1000)
    assert cut
    assert len(tail) == 1000
    assert tail.endswith(b"line 025000\n")
    whole, whole_cut = kube.read_log_tail("chatty", kube_namespace, max_bytes=1_000_000)
    assert not whole_cut
    assert whole.startswith(b"line 000001\n") and whole.endswith(tail)
    assert len(whole) == 25_000 * len(b"line 000001\n")


@pytest.mark.e2e  # starts a process
def test_a_log_tail_of_a_missing_pod_or_an_unreachable_kubelet_is_an_error(
    kube: KubeApi, kube_faults: Faults, kube_namespace: str
) -> None:
    with pytest.raises(NotFoundError):
        kube.read_log_tail("nope", kube_namespace)
    _pod_that_prints(kube, kube_namespace, "quiet", 1)
    kube_faults.pod_log_unavailable(kube_namespace, "quiet", code=500)
    with pytest.raises(KubeError) as caught:
        kube.read_log_tail("quiet", kube_namespace)
    assert isinstance(caught.value, TransientError) and caught.value.status == 500
