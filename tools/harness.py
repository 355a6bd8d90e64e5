"""One harness for tests, bench and demo: waiting, the CRDs, and the services as processes.

Example::

    api = connect(kubeconfig)
    install_crds(api)
    with ServiceProcess("netchecks-results", kubeconfig, "ns", log_dir) as results:
        wait_for(lambda: "netchecks_" in results.metrics(), 10, "metrics")
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import yaml
from netchecks_core.policyreport import DEFAULT_REPORT_API, REPORT_APIS
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.errors import ConflictError, KubeError, NotFoundError
from netchecks_service.kube import CRDS, KubeApi, load_api_client

from tools import waiting
from tools.targets.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
#: The chart's CRDs: NetworkAssertion and both report APIs.
CRD_DIR = ROOT / "charts" / "netchecks" / "files" / "crds"
#: Where the services' entry points are (this virtualenv).
BIN = Path(sys.executable).parent
#: Short leases, so that tests of leader election and failover take seconds.
FAST_LEASES = {
    "NETCHECKS_LEASE_DURATION": "3",
    "NETCHECKS_RENEW_DEADLINE": "2",
    "NETCHECKS_RETRY_PERIOD": "0.3",
}


#: What a predicate raises while the object it reads is not there (or not complete) yet.
NOT_YET = (LookupError, TypeError, NotFoundError)
T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 30.0,
    what: str = "condition",
    **options: Any,
) -> T:
    """:func:`tools.waiting.wait_for`, patient with :data:`NOT_YET` unless told otherwise."""
    options.setdefault("ignoring", NOT_YET)
    return waiting.wait_for(predicate, timeout, what, **options)


def connect(kubeconfig: Path, pool_size: int = 16) -> KubeApi:
    """The services' own JSON adapter, bound to ``kubeconfig`` (no proxy)."""
    client = load_api_client(str(kubeconfig), pool_size=pool_size)
    client.configuration.proxy = None
    return KubeApi(client)


def crd_documents() -> Iterable[dict[str, Any]]:
    """Every CRD manifest of the chart."""
    for path in sorted(CRD_DIR.glob("*.yaml")):
        yield from (doc for doc in yaml.safe_load_all(path.read_text()) if doc)


def install_crds(api: KubeApi, wait: Callable[..., Any] = wait_for) -> list[str]:
    """Create every CRD of the chart (as ``kubectl apply`` would) and wait until served.

    Returns their names. ``wait`` is :func:`wait_for` or a caller's variant of it.
    """
    names = []
    for crd in crd_documents():
        names.append(crd["metadata"]["name"])
        with contextlib.suppress(ConflictError):
            api.create(CRDS, crd)
    served = (NETWORK_ASSERTIONS, DEFAULT_REPORT_API, REPORT_APIS["openreports.io/v1alpha1"])

    def all_served() -> bool:
        try:
            for resource in served:
                api.list(resource)
        except KubeError:
            return False
        return True

    wait(all_served, 20, "the CRDs to be served")
    return names


def service_env(
    kubeconfig: Path, port: int, namespace: str | None = None, **env: str
) -> dict[str, str]:
    """The environment of a service process: its kubeconfig and health port.

    With ``namespace``: it watches only that namespace, leads with :data:`FAST_LEASES`
    there and logs at DEBUG. ``env`` overrides everything.
    """
    base = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "NETCHECKS_HTTP_ADDR": f"127.0.0.1:{port}",
    }
    if namespace is not None:
        base.update(
            NETCHECKS_NAMESPACES=namespace,
            NETCHECKS_LEASE_NAMESPACE=namespace,
            NETCHECKS_LOG_LEVEL="DEBUG",
            **FAST_LEASES,
        )
    return {**base, **env}


def is_ready(base_url: str) -> bool:
    """Whether ``base_url/readyz`` answers 200 now."""
    try:
        return httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class ServiceProcess:
    """``netchecks-operator`` or ``netchecks-results`` as a real process with a kubeconfig."""

    def __init__(
        self,
        command: str,
        kubeconfig: Path,
        namespace: str | None,
        log_dir: Path,
        **env: str,
    ) -> None:
        self.command = command
        self.port = free_port()
        self.log_path = log_dir / f"{command}-{self.port}.log"
        self.env = service_env(kubeconfig, self.port, namespace, **env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> Self:
        """Start the process; with ``wait``, return once it is ready."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / self.command)], env=self.env, stdout=log, stderr=log
            )
        if wait:
            wait_for(self.ready, 30, f"{self.command} to be ready")
        return self

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url(path), timeout=5)

    def ready(self) -> bool:
        """Ready now; raises if the process exited (with the end of its log)."""
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"{self.command} exited; log:\n{self.logs()[-3000:]}")
        return is_ready(self.url())

    def metrics(self) -> str:
        return self.get("/metrics").text

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def peak_rss_kb(self) -> int:
        """Peak resident set size of the process so far (VmHWM), in kB."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(hwm.split()[1])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Send ``sig`` and wait (SIGKILL after ``timeout``); returns the exit code."""
        if self.process is None:
            return None
        stop(self.process, timeout, signal_number=sig)
        return self.process.returncode

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
