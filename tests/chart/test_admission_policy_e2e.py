"""The chart installed into kubesim (which serves admissionregistration.k8s.io/v1, as
Kubernetes 1.30+ does), then the real ``kubectl apply`` of NetworkAssertions: one that
repeats a rule name is created with a ``Warning:`` naming the name and how its results are
named; one with unique names gives no warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.chart.helm import install
from tests.kubectl.kubectl import Kubectl
from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.rbac import anonymous_admin
from tools.kubesim.sim import KubeSim

pytestmark = pytest.mark.timeout(180)
POLICY = "netchecks-networkassertions"


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    """kubectl in namespace ``team-a`` of a kubesim with the chart installed (RBAC served
    for the chart's roles; Helm and kubectl act as the cluster admin)."""
    work = tmp_path_factory.mktemp("chart-admission")
    settings = test_settings(rbac=True, workloads=True, controllers=False, work_dir=work / "sim")
    sim = KubeSim(settings).start()
    try:
        namespaces = sim.api.resource("", "v1", "namespaces")
        for name in ("netchecks", "team-a"):
            sim.api.create(namespaces, None, {"metadata": {"name": name}})
        kubeconfig = sim.write_kubeconfig(work / "kubeconfig")
        with anonymous_admin(sim):
            install(kubeconfig, "netchecks", "netchecks")
            yield Kubectl(kubeconfig, work / "kubectl-cache", "team-a")
    finally:
        sim.stop()


def _apply(kubectl: Kubectl, tmp_path: Path, name: str, rule_names: list[str]) -> tuple[str, str]:
    """``kubectl apply -f`` of an assertion with these rule names: (stdout, stderr)."""
    assertion = {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": name},
        "spec": {
            "rules": [
                {"name": n, "type": "dns", "server": "127.0.0.1", "host": f"h{i}.example"}
                for i, n in enumerate(rule_names)
            ]
        },
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(assertion))
    result = kubectl.run("apply", "-f", str(path))
    return result.stdout, result.stderr


def test_the_chart_installed_the_warn_policy(kubectl: Kubectl) -> None:
    out = kubectl.run("get", "validatingadmissionpolicybinding", POLICY, "-o", "yaml").stdout
    assert yaml.safe_load(out)["spec"]["validationActions"] == ["Warn"]


def test_repeated_rule_names_are_accepted_with_a_warning(kubectl: Kubectl, tmp_path: Path) -> None:
    stdout, stderr = _apply(kubectl, tmp_path, "dns", ["svc-lookup", "other", "svc-lookup"])
    assert stdout.strip() == "networkassertion.netchecks.io/dns created"
    assert (
        f"Warning: Validation failed for ValidatingAdmissionPolicy '{POLICY}' with binding "
        f"'{POLICY}': rule names used by more than one rule: \"svc-lookup\" (2 rules). Each "
        "rule still runs and reports its own result: the first under its name, the others as "
        "NAME#2, NAME#3, ..."
    ) in stderr
    rules = yaml.safe_load(kubectl.run("get", "networkassertion", "dns", "-o", "yaml").stdout)
    assert [r["name"] for r in rules["spec"]["rules"]] == ["svc-lookup", "other", "svc-lookup"]


def test_an_update_that_repeats_a_name_warns_too(kubectl: Kubectl, tmp_path: Path) -> None:
    assert "Warning" not in _apply(kubectl, tmp_path, "grows", ["a"])[1]
    stdout, stderr = _apply(kubectl, tmp_path, "grows", ["a", "a"])
    assert stdout.strip() == "networkassertion.netchecks.io/grows configured"
    assert '"a" (2 rules)' in stderr


def test_unique_rule_names_give_no_warning(kubectl: Kubectl, tmp_path: Path) -> None:
    stdout, stderr = _apply(kubectl, tmp_path, "unique", ["a", "b", "c"])
    assert stdout.strip() == "networkassertion.netchecks.io/unique created"
    assert "Warning" not in stderr, stderr
