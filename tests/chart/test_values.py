"""Values: documented, checked by the schema and validate.yaml, each one used, and the
settings the chart writes are what the services accept."""

from __future__ import annotations

import copy
from typing import Any

import helm_python as helm
import pytest
import yaml
from netchecks_operator.settings import OperatorSettings
from netchecks_results.settings import ResultsSettings
from netchecks_service.settings import load_settings

from charts.generate import README, SCHEMA, VALUES, documented, leaves
from tests.chart.helm import ADMISSION_POLICY_API, CI, ci_values, find, objects, one, render

DEFAULTS: dict[str, Any] = yaml.safe_load(VALUES.read_text())
DOCS = documented(VALUES.read_text())
LEAVES = leaves(DEFAULTS, DOCS)


def test_every_value_has_a_description_in_values_schema_and_readme() -> None:
    schema = SCHEMA.read_text()
    table = README.read_text()
    for path in LEAVES:
        assert path in DOCS, f"{'.'.join(path)} has no `# --` comment in values.yaml"
        assert DOCS[path] in schema.replace('\\"', '"')
        assert f"| `{'.'.join(path)}` |" in table


def _set(values: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    values = copy.deepcopy(values)
    node = values
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return values


def _other(path: tuple[str, ...], value: Any) -> Any:
    """A different value of the same type that the schema and validate.yaml accept."""
    alternatives: dict[str, Any] = {
        "image.pullPolicy": "Always",
        "probe.image.pullPolicy": "Never",
        "operator.policyReportApiVersion": "openreports.io/v1alpha1",
        "results.reportApis": ["wgpolicyk8s.io/v1alpha2"],
        "operator.logLevel": "DEBUG",
        "results.logLevel": "DEBUG",
        "operator.logFormat": "text",
        "results.logFormat": "text",
        "operator.replicas": 3,
        "results.replicas": 3,
        "prometheusRule.severity": "critical",
        "serviceMonitor.interval": "1m",
        "serviceMonitor.scrapeTimeout": "10s",
        "serviceMonitor.namespace": "monitoring",
        "serviceMonitor.relabelings": [{"targetLabel": "cluster", "replacement": "east"}],
        "serviceMonitor.metricRelabelings": [{"action": "drop", "regex": "python_gc_.*"}],
        "grafanaDashboard.namespace": "grafana",
        "prometheusRule.failingFor": "5m",
        "prometheusRule.runbookBaseUrl": "https://runbooks.example.com/netchecks",
        "operator.jobTtlSeconds": 600,
        "watchNamespaces": ["team-z"],
        "networkPolicy.apiServer.ports": [8443],
        "networkPolicy.apiServer.cidrs": ["10.1.0.1/32"],
        "operator.extraEnv": [{"name": "X", "value": "1"}],
        "results.extraEnv": [{"name": "X", "value": "1"}],
        "imagePullSecrets": [{"name": "other"}],
        "probe.imagePullSecrets": [{"name": "other"}],
        "networkPolicy.metricsFrom": [{"podSelector": {}}],
        **{f"{c}.image.digest": "sha256:" + "0" * 64 for c in ("probe", "operator", "results")},
    }
    dotted = ".".join(path)
    if dotted in alternatives:
        return alternatives[dotted]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return f"{value}x" if value else "x1"
    if isinstance(value, list):
        return [{"key": "k", "operator": "Exists"}]
    if isinstance(value, dict) and "requests" in value:
        return {"requests": {"cpu": "7m"}}
    if path[-1] in ("affinity",):
        return {"nodeAffinity": {}}
    return {**value, "netchecks.io/test": "y"}


#: Everything switched on, so values that only matter with a feature are seen.
ALL_ON = {
    **ci_values(CI / "ha-monitoring-values.yaml"),
    "serviceMonitor": {"enabled": True},
    "prometheusRule": {"enabled": True},
    "grafanaDashboard": {"enabled": True},
    "networkPolicy": {"enabled": True},
}


def _base_for(path: tuple[str, ...]) -> dict[str, Any]:
    """ALL_ON, adjusted so that the changed value stays consistent (validate.yaml)."""
    base = copy.deepcopy(ALL_ON)
    dotted = ".".join(path)
    component = path[0]
    if path[-1] == "leaderElection":
        base[component]["replicas"] = 1
    if dotted.endswith("serviceAccount.create"):
        base[component]["serviceAccount"] = {"name": "existing-account"}
    if dotted.endswith("podDisruptionBudget.minAvailable"):
        base[component]["replicas"] = 3
    if dotted == "serviceMonitor.enabled":
        base["prometheusRule"] = {"enabled": False}
    return base


@pytest.mark.parametrize("path", LEAVES, ids=".".join)
def test_every_value_changes_what_the_chart_renders(path: tuple[str, ...]) -> None:
    base = _base_for(path)
    current: Any = yaml.safe_load(yaml.safe_dump(DEFAULTS))
    merged: Any = base
    for key in path:
        current = current[key]
        merged = merged.get(key) if isinstance(merged, dict) else None
    value = _other(path, merged if merged is not None else current)
    if value == (merged if merged is not None else current):
        value = _other(path, value)
    changed = _set(base, path, value)
    # Rendered for a cluster serving every optional API, so no template is left out.
    apis = (ADMISSION_POLICY_API,)
    assert render(changed, api_versions=apis) != render(base, api_versions=apis), (
        f"{'.'.join(path)} is not used by any template"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"results": {"reportApis": ["wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io/v1beta1"]}},
            "are the same resource",
        ),
        (
            {"operator": {"policyReportApiVersion": "openreports.io/v1alpha1"}},
            "is not written by the results service",
        ),
        ({"results": {"replicas": 2, "leaderElection": False}}, "leaderElection is off"),
        ({"operator": {"replicas": 2, "podDisruptionBudget": {"minAvailable": 2}}}, "drained"),
        ({"operator": {"serviceAccount": {"create": False}}}, "set operator.serviceAccount.name"),
        ({"networkPolicy": {"enabled": True, "apiServer": {"ports": []}}}, "API server"),
        ({"prometheusRule": {"enabled": True}}, "needs serviceMonitor.enabled"),
        ({"watchNamespaces": ["a", "a"]}, "twice"),
    ],
)
def test_inconsistent_values_are_refused_with_a_clear_message(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmRenderError, match=message):
        render(values)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"probe": {"image": {"pullPolicy": "Sometimes"}}}, "pullPolicy"),
        ({"operatr": {"replicas": 2}}, "operatr"),
        ({"results": {"reportApis": ["wgpolicyk8s.io/v9"]}}, "reportApis"),
        ({"watchNamespaces": ["Team_A"]}, "watchNamespaces"),
        ({"operator": {"jobTtlSeconds": 10}}, "jobTtlSeconds"),
    ],
)
def test_values_outside_the_schema_are_refused_naming_the_value(
    values: dict[str, Any], field: str
) -> None:
    with pytest.raises(helm.HelmError, match=field):
        render(values)


def _settings_env(objs: list[dict[str, Any]], name: str) -> dict[str, str]:
    data: dict[str, str] = one(objs, "ConfigMap", name)["data"]
    return data


@pytest.mark.parametrize("values_file", sorted(CI.glob("*-values.yaml")), ids=lambda p: p.stem)
def test_the_settings_the_chart_writes_are_accepted_by_the_services(
    values_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = objects(ci_values(values_file))
    for name, settings_cls in (
        ("netchecks-operator", OperatorSettings),
        ("netchecks-results", ResultsSettings),
    ):
        env = _settings_env(objs, name)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = load_settings(settings_cls)
        assert settings.model_dump()["lease_name"] == name
        assert settings.namespaces == list(ci_values(values_file).get("watchNamespaces") or [])
        for key in env:
            monkeypatch.delenv(key)


def test_probe_values_reach_every_probe_pod_through_the_operator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objs = objects(ci_values(CI / "namespaced-values.yaml"))
    for key, value in _settings_env(objs, "netchecks-operator").items():
        monkeypatch.setenv(key, value)
    settings = load_settings(OperatorSettings)
    assert settings.probe_image == "registry.example.internal:5000/netchecks/netchecks-probe:0.1.0"
    assert settings.probe_pod_defaults["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert settings.probe_pod_defaults["spec"]["tolerations"][0]["value"] == "probes"
    assert settings.probe_pod_defaults["metadata"]["annotations"] == {
        "sidecar.istio.io/inject": "false"
    }
    assert settings.probe_resources.requests == {"cpu": "50m", "memory": "64Mi"}


def test_deployments_are_locked_down_with_health_probes_and_a_config_checksum() -> None:
    objs = objects()
    checksums = []
    for deployment in find(objs, "Deployment"):
        pod = deployment["spec"]["template"]
        spec = pod["spec"]
        container = spec["containers"][0]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["requests"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        checksums.append(pod["metadata"]["annotations"]["checksum/config"])
    assert len(checksums) == 2
    changed = objects({"operator": {"logLevel": "DEBUG"}})
    operator = one(changed, "Deployment", "netchecks-operator")
    assert operator["spec"]["template"]["metadata"]["annotations"]["checksum/config"] not in (
        checksums
    )


def test_pod_disruption_budgets_only_with_more_than_one_replica() -> None:
    assert find(objects(), "PodDisruptionBudget") == []
    budgets = find(objects({"results": {"replicas": 2}}), "PodDisruptionBudget")
    assert [b["metadata"]["name"] for b in budgets] == ["netchecks-results"]


def test_rbac_rules_have_no_wildcards_and_namespaced_mode_has_no_cluster_roles_for_services() -> (
    None
):
    for values in ({}, {"watchNamespaces": ["team-a"]}):
        for role in find(objects(values), "ClusterRole") + find(objects(values), "Role"):
            for rule in role["rules"]:
                for key in ("apiGroups", "resources", "verbs"):
                    assert "*" not in rule[key], role["metadata"]["name"]
    namespaced = objects({"watchNamespaces": ["team-a", "team-b"]})
    cluster_roles = {r["metadata"]["name"] for r in find(namespaced, "ClusterRole")}
    # Nodes have no namespace: reading them (per-node runs) needs a ClusterRole, read-only.
    assert cluster_roles == {"netchecks-edit", "netchecks-view", "netchecks-operator-nodes"}
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in find(namespaced, "Role")}
    assert ("team-b", "netchecks-results") in roles
    assert ("netchecks", "netchecks-operator-leader-election") in roles
