"""kubesim and the netchecks services as real processes, and the API calls the demo makes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netchecks_core.naming import ANNOTATION_RUN_NOW
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.errors import ConflictError, NotFoundError
from netchecks_service.kube import (
    CONFIGMAPS,
    NAMESPACES,
    SECRETS,
    KubeApi,
)

from demo.processes import Child, DemoError, Supervisor
from tools import harness
from tools.harness import BIN, ROOT, connect, service_env
from tools.kubectl import kubectl_binary
from tools.targets.processes import free_port

#: The reports the results service writes by default.
REPORTS = DEFAULT_REPORT_API
#: Namespace of the services' leader-election Leases.
SYSTEM_NAMESPACE = "netchecks"
#: The demo's processes talk to each other over loopback only.
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1"}


def wait_for(what: str, predicate: Any, timeout: float, supervisor: Supervisor) -> Any:
    """Poll ``predicate`` until it gives something truthy; raise if a child dies or on timeout."""
    return harness.wait_for(
        predicate, timeout, what, interval=0.1, check=supervisor.check, error=DemoError
    )


def start_kubesim(supervisor: Supervisor, kubeconfig: Path) -> Child:
    """``python -m tools.kubesim serve``; returns once its kubeconfig is written."""
    child = supervisor.start(
        "kubesim",
        [sys.executable, "-m", "tools.kubesim", "serve", "--kubeconfig", str(kubeconfig)],
        env={**os.environ, **NO_PROXY},
        cwd=ROOT,
    )
    wait_for("kubesim to serve", kubeconfig.exists, 30, supervisor)
    return child


def api_client(kubeconfig: Path) -> KubeApi:
    """The core JSON adapter the services use, bound to the demo cluster."""
    return connect(kubeconfig)


def install_crds(api: KubeApi, supervisor: Supervisor) -> list[str]:
    """Create every CRD (as ``kubectl apply`` would) and wait until they are served."""
    return harness.install_crds(
        api, wait=lambda predicate, timeout, what: wait_for(what, predicate, timeout, supervisor)
    )


#: Nodes are cluster-scoped (the demo registers worker nodes for the per-node example).
NODES = Resource("", "v1", "nodes", "Node", namespaced=False)


def register_nodes(api: KubeApi, names: Sequence[str], labels: dict[str, str]) -> None:
    """Register worker nodes, as their kubelets would (kubesim reports them Ready)."""
    for name in names:
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
        }
        with contextlib.suppress(ConflictError):
            api.create(NODES, body)


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
        return harness.is_ready(self.url)


def start_service(supervisor: Supervisor, command: str, kubeconfig: Path) -> Service:
    """Start one service as a real process with the kubeconfig, as it runs in a cluster."""
    port = free_port()
    env = service_env(
        kubeconfig,
        port,
        **NO_PROXY,
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


def kubectl(kubeconfig: Path, workdir: Path, *args: str, timeout: float = 30) -> str:
    """What the real ``kubectl ARGS...`` prints (a note when kubectl is not installed)."""
    binary = kubectl_binary()
    if binary is None:
        return "(kubectl is not installed: `python3 dev.py setup` puts one into .venv)"
    command = [binary, f"--kubeconfig={kubeconfig}", f"--cache-dir={workdir / 'kubectl-cache'}"]
    result = subprocess.run(  # noqa: S603 -- kubectl with fixed arguments
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **NO_PROXY},
        check=False,
    )
    if result.returncode != 0:
        raise DemoError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.rstrip()
