"""Helpers of the chart tests: render with the real Helm engine, read the objects, install."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import helm_python as helm
import yaml

from charts.generate import CHART, manifests

CI = CHART / "ci"
CI_FILES = sorted(CI.glob("*-values.yaml"))
#: Kinds of the Prometheus Operator: no schema ships with kubernetes-validate.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}

Obj = dict[str, Any]


def ci_values(path: Path) -> Obj:
    """The values of one ``ci/*-values.yaml`` file."""
    values: Obj = yaml.safe_load(path.read_text()) or {}
    return values


#: What a Kubernetes 1.30+ API server serves and the chart renders for only where it is
#: served (`.Capabilities.APIVersions.Has`), as `helm template --api-versions` names it.
ADMISSION_POLICY_API = "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy"


def render(
    values: Obj | None = None,
    name: str = "netchecks",
    namespace: str = "netchecks",
    api_versions: tuple[str, ...] = (),
) -> Obj:
    """template path -> rendered text; ``api_versions`` are added to Helm's default
    capabilities (``helm_python.Chart.render`` does not expose them, hence the native
    call with the same options plus ``api_versions``)."""
    from helm_python import _native

    opts = {"name": name, "namespace": namespace, "is_install": True}
    with helm.Chart.load(CHART) as chart:
        payload = _native.call_string(
            "helm_render",
            chart._raw(),
            json.dumps(values or {}),
            json.dumps({**opts, "api_versions": list(api_versions)}),
        )
    return cast(Obj, json.loads(payload))


def objects(
    values: Obj | None = None, api_versions: tuple[str, ...] = (), **where: str
) -> list[Obj]:
    """The rendered objects."""
    return manifests(render(values, api_versions=api_versions, **where))


def find(objs: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    """Objects of ``kind`` (and ``name``)."""
    return [
        o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]


def one(objs: list[Obj], kind: str, name: str) -> Obj:
    """The one object of ``kind`` named ``name``."""
    found = find(objs, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def install(kubeconfig: Path, release: str, namespace: str, values: Obj | None = None) -> Obj:
    """Install the chart with the real Helm engine, as ``helm install`` would.

    Two differences from the defaults, because kubesim is not a whole API server: the
    release record is kept in memory (Helm's Secret storage writes protobuf, kubesim
    reads JSON), and client-side OpenAPI validation is off (kubesim serves no
    ``/openapi``; kubesim validates the objects against the real schemas itself, and
    ``kubernetes-validate --strict`` checks every rendered object in test_render).
    ``helm_python.Config.install`` does not expose that option, hence the native call
    with the same arguments plus ``disable_openapi_validation``.
    """
    from helm_python import _native

    with helm.Config(
        kubeconfig_path=str(kubeconfig), namespace=namespace, storage_driver="memory"
    ) as config:
        payload = _native.call_string(
            "helm_install",
            config._raw(),
            _native.HANDLE(0),
            _native.HANDLE(0),
            str(CHART),
            release,
            json.dumps(values or {}),
            json.dumps(
                {"namespace": namespace, "timeout_seconds": 60, "disable_openapi_validation": True}
            ),
        )
    release_info: Obj = json.loads(payload)
    return release_info
