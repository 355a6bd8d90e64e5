# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc,attr-defined"
"""The request log (``sim.requests``): kubesim's own record of what clients asked, in order.

Not a behaviour of the real server (its audit log is the closest thing); these tests pin
down what controller tests rely on when they assert the ordered API calls of a scenario.
"""

from __future__ import annotations

import pytest
from kubernetes import client

from tools.kubesim.faults import Faults
from tools.kubesim.requestlog import RequestLog
from tools.kubesim.testing import wait_for


def test_requests_are_recorded_in_order_with_verb_kind_name_and_code(
    core: client.CoreV1Api, kube_requests: RequestLog, kube_namespace: str
) -> None:
    """Each request is one entry: method, path, verb, resource, namespace, name (for a
    create, the body's name), kind and the status code answered."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c1"}})
    core.read_namespaced_config_map("c1", kube_namespace)
    core.patch_namespaced_config_map("c1", kube_namespace, {"data": {"a": "b"}})
    core.delete_namespaced_config_map("c1", kube_namespace)
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("c1", kube_namespace)
    entries = kube_requests.entries(namespace=kube_namespace)
    assert [(e.method, e.verb, e.name, e.code) for e in entries] == [
        ("POST", "create", "c1", 201),
        ("GET", "get", "c1", 200),
        ("PATCH", "patch", "c1", 200),
        ("DELETE", "delete", "c1", 200),
        ("GET", "get", "c1", 404),
    ]
    assert {e.kind for e in entries} == {"ConfigMap"}
    assert entries[0].path == f"/api/v1/namespaces/{kube_namespace}/configmaps"
    assert entries[1].path == f"/api/v1/namespaces/{kube_namespace}/configmaps/c1"


def test_calls_name_method_and_resource_with_subresource_and_writes_filter(
    core: client.CoreV1Api, kube_requests: RequestLog, kube_namespace: str
) -> None:
    """``calls()`` reads like controller-rs scenario steps; ``writes_only`` drops reads."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c1"}})
    core.list_namespaced_config_map(kube_namespace)
    stream = core.list_namespaced_pod(
        kube_namespace, watch=True, timeout_seconds=1, _preload_content=False
    )
    stream.release_conn()
    with pytest.raises(client.ApiException):  # no such pod: the log endpoint answers 404
        core.read_namespaced_pod_log("nope", kube_namespace)
    assert kube_requests.calls(namespace=kube_namespace) == [
        "POST configmaps",
        "GET configmaps",
        "WATCH pods",
        "GET pods/log",
    ]
    watch_entry = kube_requests.entries(namespace=kube_namespace)[2]
    assert watch_entry.query["timeoutSeconds"] == "1"
    assert kube_requests.calls(namespace=kube_namespace, writes_only=True) == ["POST configmaps"]


def test_failed_requests_are_recorded_with_the_injected_code(
    core: client.CoreV1Api, kube_requests: RequestLog, kube_faults: Faults, kube_namespace: str
) -> None:
    """A request refused by fault injection is still a request: it is logged with its code."""
    kube_faults.fail_next(1, code=503, verb="create", path=f"/namespaces/{kube_namespace}/")
    with pytest.raises(client.ApiException):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c1"}})
    [entry] = kube_requests.entries(namespace=kube_namespace)
    assert (entry.call, entry.code) == ("POST configmaps", 503)


def test_a_path_naming_no_served_resource_is_logged_as_a_404(
    kube_api: client.ApiClient, kube_requests: RequestLog
) -> None:
    """A CRD that is not installed: the list is a 404 and still appears in the log."""
    custom = client.CustomObjectsApi(kube_api)
    with pytest.raises(client.ApiException):
        custom.list_namespaced_custom_object("nothere.io", "v1", "ns1", "widgets")
    [entry] = kube_requests.entries(namespace="ns1")
    assert (entry.call, entry.verb, entry.kind, entry.code) == ("GET widgets", "", "", 404)


def test_clear_empties_the_log_and_the_log_is_bounded(make_kubesim) -> None:
    """``clear()`` forgets everything; past ``request_log_size`` the oldest entries go."""
    sim = make_kubesim(controllers=False, request_log_size=3)
    api = client.ApiClient(client.Configuration(host=sim.url))
    api.configuration.api_key = {"authorization": f"Bearer {sim.settings.token}"}
    core = client.CoreV1Api(api)
    for name in ("a", "b", "c", "d"):
        core.create_namespaced_config_map("default", {"metadata": {"name": name}})
    wait_for(lambda: all(e.code for e in sim.requests.entries()), timeout=5, what="answers")
    assert [e.name for e in sim.requests.entries()] == ["b", "c", "d"]
    sim.requests.clear()
    assert len(sim.requests) == 0
    api.close()
