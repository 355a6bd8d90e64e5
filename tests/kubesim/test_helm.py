# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""The real Helm engine (helm-python-sdk, Helm 4) installs, upgrades and uninstalls a
chart against kubesim: discovery, OpenAPI v3 (field validation support), server-side
apply, CRDs from crds/, watch-list (sendInitialEvents) and kstatus readiness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
from kubernetes import client

from tools.kubesim.testing import api_client, wait_for

CHART = Path(__file__).parent / "charts" / "demo"


@pytest.fixture
def helm_config(kubeconfig: Path, kube_namespace: str) -> Any:
    # Helm's release storage writes its Secrets (and deletes them) through client-go's
    # protobuf encoding, as in a cluster.
    config = helm.Config(
        kubeconfig_path=str(kubeconfig), namespace=kube_namespace, storage_driver="secret"
    )
    yield config
    config.close()


def test_helm_lint_and_install_upgrade_uninstall(helm_config, kubeconfig, kube_namespace) -> None:
    assert helm.lint(str(CHART))["errors"] == []
    release = helm_config.install(
        str(CHART),
        "demo",
        {"greeting": "hi there"},
        namespace=kube_namespace,
        timeout=30,
        wait="watcher",
    )
    assert release["status"] == "deployed"
    with api_client(kubeconfig) as api:
        core = client.CoreV1Api(api)
        assert core.read_namespaced_config_map("demo-cfg", kube_namespace).data == {
            "greeting": "hi there"
        }
        # kstatus counts a running Job as Current, so the install may return before it ends.
        wait_for(
            lambda: (
                client.BatchV1Api(api)
                .read_namespaced_job("demo-job", kube_namespace)
                .status.succeeded
            ),
            10,
            what="job success",
        )
        gizmo = client.CustomObjectsApi(api).get_namespaced_custom_object(
            "kubesim.example.com", "v1", kube_namespace, "gizmos", "demo-gizmo"
        )
        assert gizmo["spec"] == {"size": 3}
        upgraded = helm_config.upgrade(
            str(CHART), "demo", {"greeting": "again"}, namespace=kube_namespace, timeout=30
        )
        assert upgraded["revision"] == 2
        releases = core.list_namespaced_secret(kube_namespace, label_selector="owner=helm")
        assert sorted(str(s.metadata.name) for s in releases.items) == [
            "sh.helm.release.v1.demo.v1",
            "sh.helm.release.v1.demo.v2",
        ]
        assert core.read_namespaced_config_map("demo-cfg", kube_namespace).data == {
            "greeting": "again"
        }
        with pytest.raises(helm.HelmError, match="field is immutable"):
            helm_config.upgrade(
                str(CHART), "demo", {"jobMessage": "changed"}, namespace=kube_namespace, timeout=30
            )
        helm_config.uninstall("demo")
        assert core.list_namespaced_secret(kube_namespace, label_selector="owner=helm").items == []
        names = [c.metadata.name for c in core.list_namespaced_config_map(kube_namespace).items]
        assert "demo-cfg" not in names
