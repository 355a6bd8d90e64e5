# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A1-A2: transport, kubeconfig and discovery, through the official client."""

from __future__ import annotations

import yaml
from kubernetes import client, dynamic

from tools.kubesim.testing import api_client


def test_version_has_all_nine_fields(kube_api: client.ApiClient) -> None:
    """Real: /version returns major, minor, gitVersion, ... (the client's VersionInfo
    requires all nine)."""
    info = client.VersionApi(kube_api).get_code()
    assert (info.major, info.minor) == ("1", "37")
    assert info.git_version.startswith("v1.37")
    assert info.platform and info.go_version and info.compiler and info.build_date


def test_kubeconfig_is_plain_http_with_a_token(kubeconfig, kubesim) -> None:
    """The kubeconfig points at http://127.0.0.1:PORT with a bearer token."""
    doc = yaml.safe_load(kubeconfig.read_text())
    assert doc["clusters"][0]["cluster"]["server"] == kubesim.url
    assert kubesim.url.startswith("http://127.0.0.1:")
    assert doc["users"][0]["user"]["token"]


def test_core_and_group_discovery(kube_api: client.ApiClient) -> None:
    """Real: /api lists v1 with serverAddressByClientCIDRs; /apis lists named groups with a
    preferred version."""
    versions = client.CoreApi(kube_api).get_api_versions()
    assert versions.versions == ["v1"]
    assert versions.server_address_by_client_cidrs
    groups = {g.name: g for g in client.ApisApi(kube_api).get_api_versions().groups}
    for name in ("batch", "coordination.k8s.io", "events.k8s.io", "apiextensions.k8s.io"):
        assert groups[name].preferred_version.group_version == f"{name}/v1"


def test_resource_lists_include_subresources(kube_api: client.ApiClient) -> None:
    """Real: subresources are separate entries named plural/sub with singularName ""."""
    core = {r.name: r for r in client.CoreV1Api(kube_api).get_api_resources().resources}
    assert core["pods/log"].verbs == ["get"] and core["pods/log"].singular_name == ""
    assert core["pods/status"].kind == "Pod"
    assert core["namespaces"].namespaced is False and core["configmaps"].namespaced is True
    batch = {r.name: r for r in client.BatchV1Api(kube_api).get_api_resources().resources}
    assert batch["jobs/status"].verbs == ["get", "patch", "update"]
    assert batch["cronjobs"].short_names == ["cj"]
    assert "watch" in batch["jobs"].verbs


def test_dynamic_client_discovers_everything(kubeconfig, tmp_path) -> None:
    """The official DynamicClient walks /version, /apis, /api/v1, /apis/{g}/{v}."""
    api = api_client(kubeconfig)
    dyn = dynamic.DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))
    jobs = dyn.resources.get(api_version="batch/v1", kind="Job")
    assert jobs.namespaced and jobs.name == "jobs"
    leases = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    assert leases.name == "leases"


def test_unknown_paths_answer_404_status(kube_api: client.ApiClient) -> None:
    """Real: unknown resources answer 404 with a Status body."""
    try:
        client.CustomObjectsApi(kube_api).list_cluster_custom_object(
            "nope.example.com", "v1", "things"
        )
    except client.ApiException as exc:
        assert exc.status == 404
    else:
        raise AssertionError("expected 404")
