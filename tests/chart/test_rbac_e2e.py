"""The chart installed into kubesim with RBAC enforced: the services, running as the chart's
ServiceAccounts, do the whole job with exactly the rules the chart grants.

Release ``netchecks`` (defaults: ClusterRoles) serves every namespace; release ``scoped``
(``watchNamespaces: [team-b]``, CRDs left to the first release) serves only ``team-b``
with namespaced Roles. Every request of the services is authorized by kubesim's RBAC
(``tools/kubesim/rbac.py``) and recorded, so the tests can show that nothing they do is
refused and that what is refused gets a real 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client, config

from tests.chart.helm import install
from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess, wait_for
from tools.kubesim import kubeconfig as kubesim_kubeconfig
from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.rbac import RbacAuthorizer, anonymous_admin, issue_token
from tools.kubesim.sim import KubeSim
from tools.kubesim.testing import node_manifest

SYSTEM_NS = "netchecks"
SCOPED_NS = "netchecks-scoped"
SA_PREFIX = "system:serviceaccount:"
#: Granted verbs a short scenario does not reach, each on a recovery path: the operator
#: GETs a child only after its create found the name taken; the finalizers update is
#: checked by admission (OwnerReferencesPermissionEnforcement) when a child with
#: blockOwnerDeletion is created; the results service GETs an assertion only when its
#: cache does not have it yet, and a report only after a write conflict.
EDGE_PATHS = {
    ("", "configmaps", "get"),
    ("batch", "cronjobs", "get"),
    ("batch", "jobs", "get"),
    ("netchecks.io", "networkassertions/finalizers", "update"),
    ("netchecks.io", "networkassertions", "get"),
    ("wgpolicyk8s.io", "policyreports", "get"),
}


class Installed:
    """A kubesim with RBAC and both releases installed."""

    def __init__(self, sim: KubeSim, work: Path) -> None:
        self.sim = sim
        self.work = work
        self.admin_kubeconfig = sim.write_kubeconfig(work / "admin-kubeconfig")
        self.api = config.new_client_from_config(config_file=str(self.admin_kubeconfig))
        self.api.configuration.proxy = None
        self.core = client.CoreV1Api(self.api)
        self.tokens: dict[str, str] = {}

    @property
    def authorizer(self) -> RbacAuthorizer:
        assert isinstance(self.sim.authorizer, RbacAuthorizer)
        return self.sim.authorizer

    def token(self, namespace: str, service_account: str) -> str:
        key = f"{namespace}/{service_account}"
        if key not in self.tokens:
            self.tokens[key] = issue_token(self.sim, namespace, service_account)
        return self.tokens[key]

    def service(self, release_ns: str, fullname: str, component: str) -> ServiceProcess:
        """A service started exactly with the chart's settings and ServiceAccount identity."""
        name = f"{fullname}-{component}"
        settings = dict(self.core.read_namespaced_config_map(name, release_ns).data)
        settings.pop("NETCHECKS_HTTP_ADDR")  # a free local port instead of 0.0.0.0:8080
        path = self.work / f"{name}.kubeconfig"
        kubesim_kubeconfig.write(path, self.sim.url, self.token(release_ns, name))
        env = {**settings, "POD_NAMESPACE": release_ns}
        return ServiceProcess(f"netchecks-{component}", path, release_ns, self.work, **env).start()

    def used(self, user: str) -> set[tuple[str, str, str]]:
        """(group, resource[/subresource], verb) of every allowed request of ``user``."""
        return {
            (
                info.group,
                f"{info.resource}/{info.subresource}" if info.subresource else info.resource,
                info.verb,
            )
            for name, info, allowed in list(self.authorizer.decisions)
            if name == user and allowed
        }

    def denied(self) -> list[str]:
        """Refused requests of the chart's ServiceAccounts."""
        return [
            f"{name} {info.verb} {info.path}"
            for name, info, allowed in list(self.authorizer.decisions)
            if not allowed and name.startswith(SA_PREFIX)
        ]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("chart-rbac")
    sim = KubeSim(test_settings(rbac=True, workloads=True, work_dir=work / "sim")).start()
    try:
        world = Installed(sim, work)
        namespaces = sim.api.resource("", "v1", "namespaces")
        for name in (SYSTEM_NS, SCOPED_NS, "team-a", "team-b"):
            sim.api.create(namespaces, None, {"metadata": {"name": name}})
        with anonymous_admin(sim):  # the installer is the cluster admin
            install(world.admin_kubeconfig, "netchecks", SYSTEM_NS)
            install(
                world.admin_kubeconfig,
                "scoped",
                SCOPED_NS,
                {"crds": {"install": False}, "watchNamespaces": ["team-b"]},
            )
        yield world
    finally:
        sim.stop()


def _granted(
    installed: Installed, kind: str, name: str, namespace: str | None = None
) -> set[tuple[str, str, str]]:
    rbac = client.RbacAuthorizationV1Api(installed.api)
    role = (
        rbac.read_cluster_role(name)
        if kind == "ClusterRole"
        else rbac.read_namespaced_role(name, namespace)
    )
    return {
        (group, resource, verb)
        for rule in role.rules
        for group in rule.api_groups
        for resource in rule.resources
        for verb in rule.verbs
    }


def _probe_complete(cluster: Cluster, name: str) -> bool:
    return cluster.condition(name).get("reason") == "ProbeComplete"


def test_chart_rbac_is_enough_for_the_whole_scenario_and_every_rule_is_used(
    installed: Installed, http_server: Any
) -> None:
    operator = installed.service(SYSTEM_NS, "netchecks", "operator")
    results = installed.service(SYSTEM_NS, "netchecks", "results")
    try:
        cluster = Cluster(installed.api, "team-a")
        nodes = installed.sim.api.resource("", "v1", "nodes")
        for node in ("rbac-a", "rbac-b"):
            installed.sim.api.create(nodes, None, node_manifest(node, {"rbac-test": "yes"}))
        up = {"name": "up", "type": "http", "url": http_server.url("/json")}
        down = {"name": "down", "type": "http", "url": http_server.url("/status/503")}
        # Scheduled, run now: ConfigMap + CronJob + a Job.
        cluster.create_assertion("web", {"schedule": "@hourly", "rules": [up]})
        cluster.patch_assertion("web", {"metadata": {"annotations": {"netchecks.io/run-now": "1"}}})
        report = cluster.wait_report("web", timeout=60)
        assert results_of(report) == {"up": "pass"}
        wait_for(lambda: _probe_complete(cluster, "web"), 30, "status from the report")
        batch = client.BatchV1Api(installed.api)
        # Spec changes: the ConfigMap and the CronJob are replaced.
        cluster.patch_assertion("web", {"spec": {"schedule": "@daily", "rules": [up, down]}})
        # Unscheduled: the CronJob is deleted, a one-shot Job runs.
        cluster.patch_assertion("web", {"spec": {"schedule": None}})
        report = cluster.wait_report("web", lambda r: len(r.get("results") or []) == 2, 60)
        assert results_of(report) == {"up": "pass", "down": "fail"}
        # The status of the first run is ProbeComplete too: wait for this run's summary.
        wait_for(
            lambda: (cluster.assertion_status("web").get("summary") or {}).get("fail") == 1,
            30,
            "status summary from the second report",
        )
        assert batch.list_namespaced_cron_job("team-a").items == []
        # A newer unscheduled spec: the earlier one-shot Job is deleted, a new one runs
        # and is deleted in turn once the report shows its run.
        cluster.patch_assertion("web", {"spec": {"rules": [up]}})
        report = cluster.wait_report("web", lambda r: len(r.get("results") or []) == 1, 60)
        assert results_of(report) == {"up": "pass"}

        def one_shot_jobs() -> set[str]:
            names = {j.metadata.name for j in batch.list_namespaced_job("team-a").items}
            return {n for n in names if n.startswith("web-netchecks-g")}

        wait_for(lambda: one_shot_jobs() == set(), 30, "the g3 and (taken) g4 Jobs deleted")
        # Per-node: Nodes listed and watched, a waiting Job resumed (update). The Nodes
        # were made first: a run takes the nodes the operator knows as it starts.
        pool = {"selector": {"matchLabels": {"rbac-test": "yes"}}, "maxConcurrent": 1}
        cluster.create_assertion("fleet", {"rules": [up], "placement": {"nodes": pool}})
        report = cluster.wait_report("fleet", lambda r: len(r.get("results") or []) == 2, 60)
        assert {r["result"] for r in report["results"]} == {"pass"}
    finally:
        operator.stop()
        results.stop()

    assert installed.denied() == [], "the chart's RBAC refused a request of the services"
    for component in ("operator", "results"):
        user = f"{SA_PREFIX}{SYSTEM_NS}:netchecks-{component}"
        granted = _granted(installed, "ClusterRole", f"netchecks-{component}")
        granted |= _granted(installed, "Role", f"netchecks-{component}-leader-election", SYSTEM_NS)
        unused = granted - installed.used(user) - EDGE_PATHS
        assert unused == set(), f"{component} is granted what it never uses: {sorted(unused)}"


def test_namespaced_release_serves_its_namespace_with_roles_only(
    installed: Installed, http_server: Any
) -> None:
    rbac = client.RbacAuthorizationV1Api(installed.api)
    cluster_roles = {r.metadata.name for r in rbac.list_cluster_role().items}
    assert not {"scoped-netchecks-operator", "scoped-netchecks-results"} & cluster_roles
    roles = {r.metadata.name for r in rbac.list_namespaced_role("team-b").items}
    assert {"scoped-netchecks-operator", "scoped-netchecks-results"} <= roles

    operator = installed.service(SCOPED_NS, "scoped-netchecks", "operator")
    results = installed.service(SCOPED_NS, "scoped-netchecks", "results")
    try:
        cluster = Cluster(installed.api, "team-b")
        cluster.create_assertion(
            "api", {"rules": [{"name": "up", "type": "http", "url": http_server.url("/json")}]}
        )
        assert results_of(cluster.wait_report("api", timeout=60)) == {"up": "pass"}
        wait_for(lambda: _probe_complete(cluster, "api"), 30, "status from the report")
    finally:
        operator.stop()
        results.stop()
    assert installed.denied() == []
    scoped_users = {f"{SA_PREFIX}{SCOPED_NS}:scoped-netchecks-{c}" for c in ("operator", "results")}
    decisions = [
        info
        for name, info, _allowed in list(installed.authorizer.decisions)
        if name in scoped_users
    ]
    # Nodes have no namespace: the operator lists and watches them (per-node assertions,
    # the chart's read-only `-nodes` ClusterRole) and reads nothing else cluster-wide.
    cluster_wide = {(i.resource, i.verb) for i in decisions if i.namespace is None}
    assert cluster_wide <= {("nodes", "list"), ("nodes", "watch")}, cluster_wide
    namespaces = {i.namespace for i in decisions if i.resource != "nodes"}
    assert namespaces == {"team-b", SCOPED_NS}, "a namespaced release looked outside its namespaces"


def _request(installed: Installed, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, installed.sim.url + path, headers=headers, timeout=10, **kw)


@pytest.mark.parametrize(
    ("release_ns", "service_account", "method", "path", "verb", "resource"),
    [
        (
            SYSTEM_NS,
            "netchecks-operator",
            "GET",
            "/api/v1/namespaces/team-a/secrets",
            "list",
            "secrets",
        ),
        (
            SYSTEM_NS,
            "netchecks-operator",
            "DELETE",
            "/apis/netchecks.io/v1/namespaces/team-a/networkassertions/web",
            "delete",
            "networkassertions",
        ),
        (
            SYSTEM_NS,
            "netchecks-operator",
            "GET",
            "/apis/coordination.k8s.io/v1/namespaces/netchecks/leases/netchecks-results",
            "get",
            "leases",
        ),
        (
            SYSTEM_NS,
            "netchecks-results",
            "GET",
            "/api/v1/namespaces/team-a/pods/some-pod",
            "get",
            "pods",
        ),
        (
            SYSTEM_NS,
            "netchecks-results",
            "DELETE",
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/team-a/policyreports/web",
            "delete",
            "policyreports",
        ),
        (
            SYSTEM_NS,
            "netchecks-results",
            "POST",
            "/api/v1/namespaces/team-a/configmaps",
            "create",
            "configmaps",
        ),
        (
            SCOPED_NS,
            "scoped-netchecks-operator",
            "GET",
            "/apis/netchecks.io/v1/networkassertions",
            "list",
            "networkassertions",
        ),
        (
            SCOPED_NS,
            "scoped-netchecks-results",
            "GET",
            "/api/v1/namespaces/team-a/pods",
            "list",
            "pods",
        ),
    ],
    ids=[
        "operator-lists-secrets",
        "operator-deletes-an-assertion",
        "operator-reads-another-lease",
        "results-gets-one-pod",
        "results-deletes-a-report",
        "results-creates-a-configmap",
        "scoped-operator-lists-all-namespaces",
        "scoped-results-lists-an-unwatched-namespace",
    ],
)
def test_a_request_outside_the_granted_rules_is_refused_with_403_and_a_status(
    installed: Installed,
    release_ns: str,
    service_account: str,
    method: str,
    path: str,
    verb: str,
    resource: str,
) -> None:
    token = installed.token(release_ns, service_account)
    body = {"metadata": {"name": "x"}} if method == "POST" else None
    response = _request(installed, token, method, path, json=body)
    assert response.status_code == 403
    status = response.json()
    assert status["kind"] == "Status" and status["apiVersion"] == "v1"
    assert (status["status"], status["reason"], status["code"]) == ("Failure", "Forbidden", 403)
    user = f"{SA_PREFIX}{release_ns}:{service_account}"
    assert f'User "{user}" cannot {verb} resource "{resource}"' in status["message"]
    assert status["details"]["kind"] == resource


def test_the_same_identity_is_allowed_what_its_role_grants(installed: Installed) -> None:
    token = installed.token(SYSTEM_NS, "netchecks-results")
    allowed = _request(installed, token, "GET", "/api/v1/namespaces/team-a/pods")
    assert allowed.status_code == 200
    assert allowed.json()["kind"] == "PodList"
    anonymous = httpx.get(installed.sim.url + "/api/v1/namespaces/team-a/pods", timeout=10)
    assert anonymous.status_code == 403
    assert 'User "system:anonymous"' in anonymous.json()["message"]
