"""Server-side printing: meta.k8s.io Table and PartialObjectMetadata responses.

The real server transforms get, list and watch responses when the client asks for it in
``Accept`` (kubectl asks ``application/json;as=Table;v=v1;g=meta.k8s.io``). Columns are
the API server's table printers' (always wide, priority 1 columns marked), custom
resources get NAME plus the CRD version's additionalPrinterColumns, and each row's
``object`` follows ``includeObject`` (default ``Metadata``). These tests use raw HTTP: the
official Python client never asks for a Table.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tools.kubesim.jsonpath import find
from tools.kubesim.printing import human_duration
from tools.kubesim.sim import KubeSim
from tools.kubesim.tables import table_cells
from tools.kubesim.testing import job_manifest, pod_manifest, wait_for

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
KUBECTL_ACCEPT = f"{TABLE},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

Obj = dict[str, Any]


def _http(sim: KubeSim) -> httpx.Client:
    return httpx.Client(
        base_url=sim.url,
        headers={"Authorization": f"Bearer {sim.settings.token}"},
        timeout=10,
        trust_env=False,
    )


def _get(sim: KubeSim, path: str, accept: str = KUBECTL_ACCEPT, **params: str) -> httpx.Response:
    with _http(sim) as http:
        return http.get(path, headers={"Accept": accept}, params=params)


def _post(sim: KubeSim, path: str, body: Obj) -> Obj:
    with _http(sim) as http:
        response = http.post(path, json=body)
    assert response.status_code == 201, response.text
    result: Obj = response.json()
    return result


def _columns(table: Obj) -> list[tuple[str, int]]:
    return [(c["name"], c["priority"]) for c in table["columnDefinitions"]]


def test_a_list_is_a_table_with_the_kinds_columns_and_metadata_rows(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    """A ConfigMap list prints NAME DATA AGE; rows carry PartialObjectMetadata by default."""
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    _post(kubesim, path, {"metadata": {"name": "two"}, "data": {"a": "1"}, "binaryData": {"b": ""}})
    response = _get(kubesim, path, limit="500")
    assert response.status_code == 200
    table = response.json()
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert _columns(table) == [("Name", 0), ("Data", 0), ("Age", 0)]
    assert {c["type"] for c in table["columnDefinitions"]} == {"string", "integer"}
    assert table["metadata"]["resourceVersion"]
    [row] = table["rows"]
    assert row["cells"][:2] == ["two", 2]
    assert row["cells"][2].endswith("s")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["namespace"] == kube_namespace
    assert "data" not in row["object"]


@pytest.mark.parametrize(
    ("include", "expected"), [("Object", "ConfigMap"), ("None", None), ("Metadata", "Partial")]
)
def test_include_object_chooses_what_each_row_carries(
    kubesim: KubeSim, kube_namespace: str, include: str, expected: str | None
) -> None:
    """``Object`` gives the whole typed object, ``None`` no object at all."""
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    _post(kubesim, path, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    [row] = _get(kubesim, path, includeObject=include).json()["rows"]
    if expected is None:
        assert "object" not in row
    elif expected == "ConfigMap":
        assert row["object"]["kind"] == "ConfigMap"
        assert row["object"]["apiVersion"] == "v1"
        assert row["object"]["data"] == {"a": "1"}
    else:
        assert row["object"]["kind"] == "PartialObjectMetadata"


def test_an_unknown_include_object_is_a_bad_request(kubesim: KubeSim) -> None:
    response = _get(kubesim, "/api/v1/namespaces", includeObject="Everything")
    assert response.status_code == 400
    assert "includeObject" in response.json()["message"]


def test_get_of_one_object_is_a_one_row_table(kubesim: KubeSim) -> None:
    """Namespaces print NAME STATUS AGE; the table carries the object's resourceVersion."""
    table = _get(kubesim, "/api/v1/namespaces/default").json()
    assert _columns(table) == [("Name", 0), ("Status", 0), ("Age", 0)]
    assert table_cells(table)[0]["Status"] == "Active"
    assert table["metadata"]["resourceVersion"]


@pytest.mark.e2e  # starts a process
def test_pods_show_ready_status_restarts_and_wide_columns(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    """A finished pod shows Completed (or Error) with the Completed row condition."""
    path = f"/api/v1/namespaces/{kube_namespace}/pods"
    _post(kubesim, path, pod_manifest("ok", ["sh", "-c", "true"], image="busybox"))
    _post(kubesim, path, pod_manifest("bad", ["sh", "-c", "exit 3"], image="busybox"))

    def finished() -> list[Obj] | None:
        rows = table_cells(_get(kubesim, path).json())
        return rows if {r["Status"] for r in rows} == {"Completed", "Error"} else None

    rows = {r["Name"]: r for r in wait_for(finished, timeout=20, what="both pods to finish")}
    assert rows["ok"]["Ready"] == "0/1"
    assert rows["ok"]["Restarts"] == "0"
    assert rows["bad"]["Status"] == "Error"
    assert rows["ok"]["IP"] == "127.0.0.1"
    assert rows["ok"]["Node"] == kubesim.settings.node_name
    table = _get(kubesim, path).json()
    priorities = dict(_columns(table))
    assert [n for n, p in priorities.items() if p == 0] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert priorities["IP"] == priorities["Node"] == 1
    conditions = {r["cells"][0]: r.get("conditions") for r in table["rows"]}
    assert conditions["ok"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_a_pod_waiting_for_its_configmap_shows_container_creating(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/pods"
    manifest = pod_manifest(
        "waits",
        ["sh", "-c", "true"],
        image="busybox",
        volumes=[{"name": "cfg", "configMap": {"name": "missing"}}],
    )
    _post(kubesim, path, manifest)
    wait_for(
        lambda: (
            table_cells(_get(kubesim, f"{path}/waits").json())[0]["Status"] == "ContainerCreating"
        ),
        timeout=10,
        what="ContainerCreating",
    )


@pytest.mark.e2e  # starts a process
def test_jobs_show_status_completions_and_duration(kubesim: KubeSim, kube_namespace: str) -> None:
    path = f"/apis/batch/v1/namespaces/{kube_namespace}/jobs"
    _post(kubesim, path, job_manifest("done", ["sh", "-c", "true"], image="busybox"))
    row = wait_for(
        lambda: next(
            (r for r in table_cells(_get(kubesim, path).json()) if r["Status"] == "Complete"),
            None,
        ),
        timeout=20,
        what="the job to complete",
    )
    assert row["Completions"] == "1/1"
    assert row["Duration"].endswith("s")
    assert row["Containers"] == "main"
    assert row["Images"] == "busybox"
    assert row["Selector"].startswith("batch.kubernetes.io/controller-uid=")


def test_cronjobs_show_schedule_timezone_suspend_active_and_last_schedule(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    path = f"/apis/batch/v1/namespaces/{kube_namespace}/cronjobs"
    job = job_manifest("x", ["sh", "-c", "true"], image="busybox")
    _post(
        kubesim,
        path,
        {
            "metadata": {"name": "nightly"},
            "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "jobTemplate": job},
        },
    )
    table = _get(kubesim, path).json()
    assert [n for n, p in _columns(table) if p == 0] == [
        "Name",
        "Schedule",
        "Timezone",
        "Suspend",
        "Active",
        "Last Schedule",
        "Age",
    ]
    [row] = table_cells(table)
    assert row["Schedule"] == "0 3 * * *"
    assert row["Timezone"] == "Europe/Paris"
    assert (row["Suspend"], row["Active"], row["Last Schedule"]) == ("False", 0, "<none>")


def test_secrets_events_service_accounts_and_leases_print_their_columns(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    ns = f"/api/v1/namespaces/{kube_namespace}"
    _post(kubesim, f"{ns}/secrets", {"metadata": {"name": "s"}, "data": {"a": "YQ==", "b": ""}})
    _post(
        kubesim,
        f"{ns}/events",
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": kube_namespace},
            "reason": "Started",
            "message": "  started  ",
            "type": "Normal",
            "source": {"component": "kubelet", "host": "node-1"},
            "count": 3,
        },
    )
    lease_path = f"/apis/coordination.k8s.io/v1/namespaces/{kube_namespace}/leases"
    _post(kubesim, lease_path, {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}})
    assert table_cells(_get(kubesim, f"{ns}/secrets").json())[0] | {"Age": ""} == {
        "Name": "s",
        "Type": "Opaque",
        "Data": 2,
        "Age": "",
    }
    event = table_cells(_get(kubesim, f"{ns}/events").json())[0]
    assert event["Object"] == "pod/p"
    assert event["Message"] == "started"
    assert event["Source"] == "kubelet, node-1"
    assert (event["Type"], event["Reason"], event["Count"]) == ("Normal", "Started", 3)
    event_v1 = _get(kubesim, f"/apis/events.k8s.io/v1/namespaces/{kube_namespace}/events")
    assert table_cells(event_v1.json())[0]["Object"] == "pod/p"
    assert table_cells(_get(kubesim, lease_path).json())[0]["Holder"] == "me"
    accounts = table_cells(_get(kubesim, f"{ns}/serviceaccounts").json())
    assert all(r["Secrets"] == 0 for r in accounts)


def test_kinds_without_a_printer_get_name_and_created_at(kubesim: KubeSim) -> None:
    """The default convertor (CRDs here): NAME and CREATED AT, a date in RFC 3339."""
    table = _get(kubesim, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions").json()
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Created At"]


WIDGETS: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.tables.kubesim.test"},
    "spec": {
        "group": "tables.kubesim.test",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
                "additionalPrinterColumns": [
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                    },
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Tags", "type": "string", "jsonPath": ".spec.tags", "priority": 1},
                    {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
                    {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
                    {"name": "Started", "type": "date", "jsonPath": ".status.started"},
                ],
            },
            {
                "name": "v2",
                "served": True,
                "storage": False,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            },
        ],
    },
}


def test_custom_resources_print_their_additional_printer_columns(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    """JSONPath filters pick a condition; types convert; a missing value is null; priority
    is kept; a version without columns gets the logical default Age column."""
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    with _http(kubesim) as http:
        if http.get(f"{crds}/{WIDGETS['metadata']['name']}").status_code == 404:
            _post(kubesim, crds, WIDGETS)
    path = f"/apis/tables.kubesim.test/v1/namespaces/{kube_namespace}/widgets"
    started = (kubesim.clock.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wait_for(lambda: _get(kubesim, path).status_code == 200, what="widgets served")
    _post(
        kubesim,
        path,
        {
            "apiVersion": "tables.kubesim.test/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": 3.0, "tags": ["a", "b"], "on": True},
            "status": {
                "conditions": [
                    {"type": "Synced", "status": "False"},
                    {"type": "Ready", "status": "True"},
                ],
                "started": started,
            },
        },
    )
    table = _get(kubesim, path).json()
    assert _columns(table) == [
        ("Name", 0),
        ("Ready", 0),
        ("Size", 0),
        ("Tags", 1),
        ("On", 0),
        ("Missing", 0),
        ("Started", 0),
    ]
    assert table["rows"][0]["cells"] == ["w", "True", 3, '["a","b"]', True, None, "3h"]
    v2 = _get(kubesim, f"/apis/tables.kubesim.test/v2/namespaces/{kube_namespace}/widgets")
    assert [c["name"] for c in v2.json()["columnDefinitions"]] == ["Name", "Age"]


def test_a_watch_streams_one_row_tables_with_headers_only_first(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    for name in ("a", "b"):
        _post(kubesim, path, {"metadata": {"name": name}})
    with (
        _http(kubesim) as http,
        http.stream(
            "GET",
            path,
            params={"watch": "true", "timeoutSeconds": "1"},
            headers={"Accept": KUBECTL_ACCEPT},
        ) as response,
    ):
        events = [json.loads(line) for line in response.iter_lines() if line]
    assert [e["type"] for e in events] == ["ADDED", "ADDED"]
    first, second = (e["object"] for e in events)
    assert first["kind"] == second["kind"] == "Table"
    assert "columnDefinitions" in first
    assert "columnDefinitions" not in second
    assert [r["cells"][0] for r in (first["rows"][0], second["rows"][0])] == ["a", "b"]


def test_partial_object_metadata_lists_and_objects(kubesim: KubeSim) -> None:
    accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    body = _get(kubesim, "/api/v1/namespaces", accept=accept).json()
    assert body["kind"] == "PartialObjectMetadataList"
    assert {i["kind"] for i in body["items"]} == {"PartialObjectMetadata"}
    one = _get(
        kubesim,
        "/api/v1/namespaces/default",
        accept="application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
    ).json()
    assert (one["kind"], one["metadata"]["name"]) == ("PartialObjectMetadata", "default")
    assert "spec" not in one


def test_an_accept_header_with_nothing_servable_is_406(kubesim: KubeSim) -> None:
    response = _get(kubesim, "/api/v1/namespaces", accept="application/json;as=Graph;v=v9;g=x")
    assert response.status_code == 406
    assert response.json()["reason"] == "NotAcceptable"
    plain = _get(kubesim, "/api/v1/namespaces", accept="application/json")
    assert plain.json()["kind"] == "NamespaceList"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (59, "59s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 5 * 60, "3h5m"),
        (10 * 3600, "10h"),
        (3 * 86400 + 3600, "3d1h"),
        (30 * 86400, "30d"),
        (3 * 365 * 86400 + 86400, "3y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_like_kubectls(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".a.b", [1]),
        (".l[*].n", ["x", "y"]),
        (".l[-1].n", ["y"]),
        ('.l[?(@.n=="y")].v', [2]),
        (".l[?(@.v>1)].n", ["y"]),
        (".l[?(@.v)].n", ["x", "y"]),
        ("..n", ["x", "y"]),
        (".missing.x", []),
        ("{.a['b']}", [1]),
        (".l[0:1].n", ["x"]),
    ],
)
def test_jsonpath_selects_like_the_api_server(path: str, expected: list[Any]) -> None:
    data = {"a": {"b": 1}, "l": [{"n": "x", "v": 1}, {"n": "y", "v": 2}]}
    assert find(path, data) == expected


def test_workload_and_rbac_kinds_print_their_columns(make_kubesim: Any) -> None:
    """Deployments (READY UP-TO-DATE AVAILABLE), Services (TYPE CLUSTER-IP EXTERNAL-IP
    PORT(S)), role bindings (ROLE, then USERS GROUPS SERVICEACCOUNTS at priority 1)."""
    sim = make_kubesim(workloads=True, rbac=True)
    ns = "/apis/apps/v1/namespaces/default"
    labels = {"app": "web"}
    template = {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    _post(
        sim,
        f"{ns}/deployments",
        {
            "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template},
        },
    )
    _post(
        sim,
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": "web"},
            "spec": {"selector": labels, "ports": [{"port": 80, "protocol": "TCP"}]},
        },
    )
    rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
    _post(
        sim,
        f"{rbac}/rolebindings",
        {
            "metadata": {"name": "readers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "bot", "namespace": "default"},
                {"kind": "User", "name": "alice"},
            ],
        },
    )
    [deployment] = table_cells(_get(sim, f"{ns}/deployments").json())
    assert (deployment["Ready"], deployment["Up-to-date"], deployment["Available"]) == ("0/2", 0, 0)
    assert (deployment["Images"], deployment["Selector"]) == ("nginx", "app=web")
    [service] = table_cells(_get(sim, "/api/v1/namespaces/default/services").json())
    assert (service["Type"], service["Port(s)"], service["Selector"]) == (
        "ClusterIP",
        "80/TCP",
        "app=web",
    )
    assert service["External-IP"] == "<none>"
    bindings = _get(sim, f"{rbac}/rolebindings").json()
    [binding] = table_cells(bindings)
    assert (binding["Role"], binding["Users"], binding["ServiceAccounts"]) == (
        "Role/r",
        "alice",
        "default/bot",
    )
    assert dict(_columns(bindings))["Users"] == 1


@pytest.mark.e2e  # starts a process
def test_pod_logs_stay_text_whatever_the_client_accepts(
    kubesim: KubeSim, kube_namespace: str
) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/pods"
    _post(kubesim, path, pod_manifest("talks", ["sh", "-c", "echo hi"], image="busybox"))
    wait_for(
        lambda: _get(kubesim, f"{path}/talks/log", accept="text/plain").text == "hi\n",
        timeout=20,
        what="the log",
    )
