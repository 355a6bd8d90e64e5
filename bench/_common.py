"""What the service benchmarks share: kubesim with the CRDs, a service process, its /metrics."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netchecks_core.resources import Resource
from netchecks_service.kube import KubeApi

from tools.builders import output_document, rule_result
from tools.harness import ServiceProcess, connect, install_crds
from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.settings import ImageMapping, InProcess
from tools.kubesim.sim import KubeSim

ROOT = Path(__file__).resolve().parent.parent
#: The probe image repository the benchmarks' operator uses: kubesim runs it as
#: :func:`fake_probe`, in its own process (a real probe costs ~300 ms CPU per run, a
#: forked one still a few ms; the services' cost per run is what these benchmarks measure).
FAKE_PROBE_REPOSITORY = "bench/fake-probe"


@dataclass
class Cluster:
    """A running kubesim with the netchecks and report CRDs installed."""

    sim: KubeSim
    work: Path
    kubeconfig: Path
    api: KubeApi


@contextmanager
def kubesim(prefix: str, *, pool_size: int = 16, **settings: Any) -> Iterator[Cluster]:
    """Start kubesim in a new temporary directory, install the CRDs; stop it on exit.

    ``settings`` override kubesim's test settings; the fake probe image
    (:data:`FAKE_PROBE_REPOSITORY`) is always mapped.
    """
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    work = Path(tempfile.mkdtemp(prefix=prefix))
    base = test_settings(work_dir=work)
    images = (*base.images, ImageMapping(FAKE_PROBE_REPOSITORY, in_process=fake_probe()))
    sim = KubeSim(test_settings(work_dir=work, images=images, **settings)).start()
    try:
        kubeconfig = sim.write_kubeconfig(work / "kubeconfig")
        api = connect(kubeconfig, pool_size=pool_size)
        install_crds(api)
        yield Cluster(sim, work, kubeconfig, api)
    finally:
        sim.stop()


def fake_probe(rule: str = "web") -> InProcess:
    """A probe container run in kubesim's process: prints one passing result of ``rule``."""
    document = f"{output_document({rule: rule_result('pass', spec={'type': 'http'}, data={})})}\n"

    def run(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, bytes]:
        return 0, document.encode()

    return run


#: Lease timings for one replica on a busy machine. kubesim runs in the benchmark's
#: process, and while it seeds or starts thousands of Jobs it can answer a renewal later
#: than the default 10 s deadline; the service would then step down and start over, and
#: the figures would include a restart. Renewals still happen every 2 s, as in a cluster.
PATIENT_LEASE = {"NETCHECKS_LEASE_DURATION": "600", "NETCHECKS_RENEW_DEADLINE": "540"}


def service(
    command: str, cluster: Cluster, *, source: Path | None = None, **env: str
) -> ServiceProcess:
    """``command`` against ``cluster``, logging warnings only to its work directory.

    ``env`` adds to the environment (``NETCHECKS_*``; the lease is :data:`PATIENT_LEASE`
    unless set); ``source`` (see :func:`baseline_source`)
    runs the packages of another commit. Use it as a context manager: it is ready inside
    and terminated on exit.
    """
    env = {"NETCHECKS_LOG_LEVEL": "WARNING", **PATIENT_LEASE, **env}
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in sorted(source.glob("packages/*/src")))
    return ServiceProcess(command, cluster.kubeconfig, None, cluster.work, **env)


def baseline_source(ref: str) -> Path:
    """The packages of git ``ref`` (e.g. ``main``), exported to a temporary directory.

    Run a service with ``service(..., source=...)`` to measure the baseline in the same run.
    """
    target = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "packages"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def cpu_seconds(process: ServiceProcess) -> float:
    """User + system CPU time the service process has used so far."""
    assert process.process is not None
    fields = Path(f"/proc/{process.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(process: ServiceProcess) -> int:
    """The service process's resident set size now (VmRSS), in kB."""
    assert process.process is not None
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def counter(metrics: str, name: str) -> float:
    """The sum of a Prometheus counter's samples over every label set."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith((f"{name}{{", f"{name} "))
    )


def ratio(new: float, old: float) -> str:
    """``new`` as a multiple of ``old`` (``0.25x``), or ``n/a``."""
    return f"{new / old:.2f}x" if old else "n/a"


def requests_by_verb(metrics: str) -> dict[str, float]:
    """API requests the service made, by HTTP verb (``netchecks_kube_requests_total``)."""
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("netchecks_kube_requests_total{"):
            verb = line.split('verb="', 1)[1].split('"', 1)[0]
            out[verb] = out.get(verb, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


class Watcher(threading.Thread):
    """Records when each object first satisfies ``done`` (bench-side clock)."""

    def __init__(
        self,
        api: KubeApi,
        namespace: str,
        resource: Resource,
        done: Callable[[Any], bool],
        key: str | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.api, self.namespace, self.resource, self.done = api, namespace, resource, done
        #: A label naming the object in ``seen`` (default: its name).
        self.key = key
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        version = self.api.list(self.resource, self.namespace)["metadata"]["resourceVersion"]
        while not self.stop.is_set():
            for event in self.api.watch(
                self.resource, self.namespace, resource_version=version, timeout_seconds=30
            ):
                obj = event["object"]
                version = obj["metadata"]["resourceVersion"]
                if event["type"] == "BOOKMARK":
                    continue
                name = obj["metadata"]["name"]
                if self.key is not None:
                    name = (obj["metadata"].get("labels") or {}).get(self.key, name)
                if name not in self.seen and self.done(obj):
                    self.seen[name] = time.monotonic()
                if self.stop.is_set():
                    return
