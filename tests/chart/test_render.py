"""The chart renders valid Kubernetes objects for every value set in ``ci/``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from netchecks_core.crd import crd

from charts.generate import BUNDLE, CHART, DASHBOARD, README, SCHEMA, outputs
from tests.chart.helm import CI_FILES, CUSTOM_KINDS, ci_values, find, objects, one, render

#: The oldest and the newest Kubernetes the chart supports (Chart.yaml kubeVersion >=1.28).
VERSIONS = ["1.28.0", "1.37.0"]


@pytest.mark.parametrize("values_file", CI_FILES, ids=lambda p: p.stem)
def test_chart_lints_clean_with_every_ci_value_set(values_file: Path) -> None:
    report = helm.lint(CHART, ci_values(values_file), strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_there_are_at_least_five_ci_value_sets() -> None:
    names = {p.stem for p in CI_FILES}
    expected = {"defaults", "minimal", "namespaced", "ha-monitoring", "existing-crds"}
    assert expected <= {n.removesuffix("-values") for n in names}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("values_file", CI_FILES, ids=lambda p: p.stem)
def test_every_rendered_object_is_valid_for_the_oldest_and_newest_kubernetes(
    values_file: Path, version: str
) -> None:
    objs = objects(ci_values(values_file))
    assert len(objs) >= 10
    for obj in objs:
        if obj["kind"] in CUSTOM_KINDS:
            assert obj["apiVersion"] == "monitoring.coreos.com/v1"
            assert obj["spec"], obj
            continue
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.e2e  # starts a process
def test_static_bundle_passes_kubernetes_validate_strict_cli(version: str) -> None:
    cli = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(cli), "--strict", "--quiet", "-k", version, str(BUNDLE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_schema_readme_table_and_static_bundle_are_current() -> None:
    stale = [str(path) for path, content in outputs().items() if path.read_text() != content]
    assert stale == [], f"stale {stale}: run `python charts/generate.py`"
    assert SCHEMA.exists() and README.exists()


def _without_chart_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("labels", None)
    obj["metadata"].pop("annotations", None)
    return obj


def test_chart_networkassertion_crd_is_what_the_models_generate() -> None:
    rendered = one(objects(), "CustomResourceDefinition", "networkassertions.netchecks.io")
    generated = yaml.safe_load(yaml.safe_dump(crd()))
    assert _without_chart_metadata(rendered) == generated, (
        "the chart's NetworkAssertion CRD differs from the models: run `python -m "
        "netchecks_core.crd > charts/netchecks/files/crds/netchecks.io_networkassertions.yaml`"
    )


def test_every_crd_file_is_rendered_unchanged_but_for_labels_and_keep() -> None:
    rendered = {o["metadata"]["name"]: o for o in find(objects(), "CustomResourceDefinition")}
    files = sorted((CHART / "files" / "crds").glob("*.yaml"))
    assert len(files) == len(rendered) == 5
    for path in files:
        source = next(d for d in yaml.safe_load_all(path.read_text()) if d)
        obj = rendered[source["metadata"]["name"]]
        assert _without_chart_metadata(obj) == _without_chart_metadata(source), path.name
        assert obj["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        assert obj["metadata"]["labels"]["app.kubernetes.io/component"] == "crds"


def _crd_names(values: dict[str, Any]) -> set[str]:
    return {o["metadata"]["name"] for o in find(objects(values), "CustomResourceDefinition")}


def test_report_crds_follow_their_own_switches_and_keep_is_optional() -> None:
    assert _crd_names({"crds": {"policyReport": False}}) == {
        "networkassertions.netchecks.io",
        "clusterpolicyreports.wgpolicyk8s.io",
        "reports.openreports.io",
        "clusterreports.openreports.io",
    }
    assert _crd_names({"crds": {"clusterPolicyReport": False, "openReports": False}}) == {
        "networkassertions.netchecks.io",
        "policyreports.wgpolicyk8s.io",
    }
    assert _crd_names({"crds": {"install": False}}) == set()
    unkept = find(objects({"crds": {"keep": False}}), "CustomResourceDefinition")
    assert all("annotations" not in o["metadata"] for o in unkept)


def test_existing_crds_value_set_installs_only_the_networkassertion_crd() -> None:
    values = ci_values(CHART / "ci" / "existing-crds-values.yaml")
    assert _crd_names(values) == {"networkassertions.netchecks.io"}


def test_notes_tell_what_to_do_next() -> None:
    notes = render({"watchNamespaces": ["team-a"]})["netchecks/templates/NOTES.txt"]
    assert "rollout status deployment/netchecks-operator deployment/netchecks-results" in notes
    assert "helm test netchecks" in notes
    assert "namespace: team-a" in notes
    assert "kubectl get nas -A" in notes


def test_service_monitors_keep_the_metrics_namespace_label_and_pass_the_scrape_options() -> None:
    relabel = [{"targetLabel": "cluster", "replacement": "east"}]
    drop = [{"action": "drop", "sourceLabels": ["__name__"], "regex": "python_gc_.*"}]
    values = {
        "serviceMonitor": {
            "enabled": True,
            "namespace": "monitoring",
            "scrapeTimeout": "10s",
            "labels": {"release": "prometheus"},
            "relabelings": relabel,
            "metricRelabelings": drop,
        }
    }
    monitors = find(objects(values), "ServiceMonitor")
    assert {m["metadata"]["name"] for m in monitors} == {"netchecks-operator", "netchecks-results"}
    for monitor in monitors:
        assert monitor["metadata"]["namespace"] == "monitoring"
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["netchecks"]}
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["honorLabels"] is True
        assert endpoint["scrapeTimeout"] == "10s"
        assert endpoint["relabelings"] == relabel
        assert endpoint["metricRelabelings"] == drop
    (default,) = find(
        objects({"serviceMonitor": {"enabled": True}}), "ServiceMonitor", "netchecks-results"
    )
    assert default["metadata"]["namespace"] == "netchecks"
    assert "scrapeTimeout" not in default["spec"]["endpoints"][0]


def test_grafana_dashboard_is_a_configmap_for_the_sidecar_only_when_enabled() -> None:
    assert [c for c in find(objects(), "ConfigMap") if "dashboard" in c["metadata"]["name"]] == []
    values = {"grafanaDashboard": {"enabled": True, "annotations": {"grafana_folder": "Network"}}}

    dashboard = one(objects(values), "ConfigMap", "netchecks-dashboard")

    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["annotations"] == {"grafana_folder": "Network"}
    (text,) = dashboard["data"].values()
    assert json.loads(text) == json.loads(DASHBOARD.read_text())
