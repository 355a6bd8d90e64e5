"""kubesim and the netchecks services as real processes, and the API calls the demo makes."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from netchecks_core.naming import ANNOTATION_RUN_NOW
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.errors import ConflictError, KubeError, NotFoundError
from netchecks_service.kube import (
    CONFIGMAPS,
    CRDS,
    NAMESPACES,
    SECRETS,
    KubeApi,
    load_api_client,
)

from demo.processes import Child, DemoError, Supervisor
from tests.targets.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: Where the CRDs live: the chart's files, or (before the chart) deploy/crds.
CRD_DIRS = (ROOT / "charts" / "netchecks" / "files" / "crds", ROOT / "deploy" / "crds")
#: The reports the results service writes by default.
REPORTS = DEFAULT_REPORT_API
#: Namespace of the services' leader-election Leases.
SYSTEM_NAMESPACE = "netchecks"


def crd_files() -> list[Path]:
    """The CRD manifests to install (the NetworkAssertion and report CRDs)."""
    for directory in CRD_DIRS:
        files = sorted(directory.glob("*.yaml"))
        if files:
            return files
    raise DemoError(f"no CRDs found in {' or '.join(str(d) for d in CRD_DIRS)}")


def wait_for(what: str, predicate: Any, timeout: float, supervisor: Supervisor) -> Any:
    """Poll ``predicate`` until it gives something truthy; raise if a child dies or on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.check()
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}")


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1", **extra}


def start_kubesim(supervisor: Supervisor, kubeconfig: Path) -> Child:
    """``python -m tests.kubesim serve``; returns once its kubeconfig is written."""
    child = supervisor.start(
        "kubesim",
        [sys.executable, "-m", "tests.kubesim", "serve", "--kubeconfig", str(kubeconfig)],
        env=child_env(),
        cwd=ROOT,
    )
    wait_for("kubesim to serve", kubeconfig.exists, 30, supervisor)
    return child


def api_client(kubeconfig: Path) -> KubeApi:
    """The core JSON adapter the services use, bound to the demo cluster."""
    api_client = load_api_client(str(kubeconfig))
    api_client.configuration.proxy = None
    return KubeApi(api_client)


def install_crds(api: KubeApi, supervisor: Supervisor) -> list[str]:
    """Create every CRD (as ``kubectl apply`` would) and wait until they are served."""
    names = []
    for path in crd_files():
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            names.append(document["metadata"]["name"])
            with contextlib.suppress(ConflictError):
                api.create(CRDS, document)

    def served() -> bool:
        try:
            api.list(NETWORK_ASSERTIONS)
            api.list(REPORTS)
        except KubeError:
            return False
        return True

    wait_for("the CRDs to be served", served, 20, supervisor)
    return names


def ensure_namespace(api: KubeApi, name: str) -> None:
    with contextlib.suppress(ConflictError):
        api.create(NAMESPACES, {"metadata": {"name": name}})


class Service:
    """``netchecks-operator`` or ``netchecks-results`` with its health and metrics port."""

    def __init__(self, command: str, child: Child, port: int) -> None:
        self.command = command
        self.child = child
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False


def start_service(supervisor: Supervisor, command: str, kubeconfig: Path) -> Service:
    """Start one service as a real process with the kubeconfig, as it runs in a cluster."""
    port = free_port()
    env = child_env(
        KUBECONFIG=str(kubeconfig),
        NETCHECKS_HTTP_ADDR=f"127.0.0.1:{port}",
        NETCHECKS_LEASE_NAMESPACE=SYSTEM_NAMESPACE,
        NETCHECKS_LOG_FORMAT="text",
    )
    child = supervisor.start(command, [str(BIN / command)], env=env)
    return Service(command, child, port)


_KINDS = {"ConfigMap": CONFIGMAPS, "Secret": SECRETS, "NetworkAssertion": NETWORK_ASSERTIONS}


def apply(api: KubeApi, obj: dict[str, Any]) -> None:
    """Create ``obj`` (a ConfigMap, Secret or NetworkAssertion) in its namespace."""
    namespace = obj["metadata"]["namespace"]
    ensure_namespace(api, namespace)
    api.create(_KINDS[obj["kind"]], obj, namespace)


def run_now(api: KubeApi, namespace: str, name: str, value: str) -> None:
    """``kubectl annotate nas NAME netchecks.io/run-now=VALUE``."""
    patch = {"metadata": {"annotations": {ANNOTATION_RUN_NOW: value}}}
    api.patch(NETWORK_ASSERTIONS, name, patch, namespace)


def get_assertion(api: KubeApi, namespace: str, name: str) -> dict[str, Any]:
    return api.get(NETWORK_ASSERTIONS, name, namespace)


def get_report(api: KubeApi, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return api.get(REPORTS, name, namespace)
    except NotFoundError:
        return None
