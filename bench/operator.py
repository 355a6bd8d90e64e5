"""Benchmark the operator on kubesim: N assertions created at once.

    .venv/bin/python -m bench.operator [--count 1000] [--idle 30]

Prints: time until every assertion has its children and status; API requests per
assertion by verb (from the operator's own /metrics); requests per minute when
idle; reconcile latency p50/p99 (histogram buckets); peak RSS of the operator.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from netchecks_core.service.kube import (
    CONFIGMAPS,
    CRDS,
    CRONJOBS,
    NAMESPACES,
    NETWORK_ASSERTIONS,
    KubeApi,
    load_api_client,
)

from tests.kubesim.pytest_plugin import test_settings
from tests.kubesim.sim import KubeSim

ROOT = Path(__file__).resolve().parents[1]


def requests_by_verb(metrics: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("netchecks_kube_requests_total{"):
            verb = line.split('verb="', 1)[1].split('"', 1)[0]
            out[verb] = out.get(verb, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def histogram_quantiles(metrics: str, name: str, qs: tuple[float, ...]) -> list[float]:
    buckets: list[tuple[float, float]] = []
    for line in metrics.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append(
                (float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1]))
            )
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    return [next((le for le, c in buckets if c >= q * total), float("nan")) for q in qs]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    work = Path(tempfile.mkdtemp(prefix="bench-operator-"))
    sim = KubeSim(test_settings(work_dir=work)).start()
    kubeconfig = sim.write_kubeconfig(work / "kubeconfig")
    api = KubeApi(load_api_client(str(kubeconfig)))
    for name in ("netchecks.io_networkassertions.yaml", "wgpolicyk8s.io_policyreports.yaml"):
        api.create(CRDS, yaml.safe_load((ROOT / "charts/netchecks/files/crds" / name).read_text()))
    ns = "bench"
    api.create(NAMESPACES, {"metadata": {"name": ns}})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "NETCHECKS_HTTP_ADDR": f"127.0.0.1:{port}",
        "NETCHECKS_LEASE_NAMESPACE": ns,
        "NETCHECKS_LOG_LEVEL": "WARNING",
    }
    log = (work / "operator.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netchecks_operator"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        time.sleep(3)  # let leadership settle
        before = requests_by_verb(httpx.get(f"{base}/metrics").text)
        start = time.monotonic()
        for i in range(args.count):
            api.create(
                NETWORK_ASSERTIONS,
                {
                    "apiVersion": "netchecks.io/v1",
                    "kind": "NetworkAssertion",
                    "metadata": {"name": f"a{i:05d}", "namespace": ns},
                    "spec": {
                        "schedule": "0 0 1 1 *",
                        "rules": [{"name": "web", "type": "http", "url": f"http://svc-{i}.test/"}],
                    },
                },
                ns,
            )
        created = time.monotonic() - start
        while True:
            done = sum(1 for a in api.list(NETWORK_ASSERTIONS, ns)["items"] if a.get("status"))
            cms = len(api.list(CONFIGMAPS, ns)["items"])
            cjs = len(api.list(CRONJOBS, ns)["items"])
            if done == cms == cjs == args.count:
                break
            if time.monotonic() - start > 600:
                print(f"gave up: status {done}, configmaps {cms}, cronjobs {cjs}")
                return 1
            time.sleep(0.5)
        converged = time.monotonic() - start
        time.sleep(2)
        metrics = httpx.get(f"{base}/metrics").text
        after = requests_by_verb(metrics)
        used = {v: after.get(v, 0) - before.get(v, 0) for v in after}
        writes = sum(n for v, n in used.items() if v in {"POST", "PUT", "PATCH", "DELETE"})
        p50, p99 = histogram_quantiles(
            metrics, "netchecks_operator_reconcile_duration_seconds", (0.5, 0.99)
        )
        idle_before = requests_by_verb(metrics)
        time.sleep(args.idle)
        idle_after = requests_by_verb(httpx.get(f"{base}/metrics").text)
        idle = {v: idle_after.get(v, 0) - idle_before.get(v, 0) for v in idle_after}
        rss = next(
            line
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            if line.startswith("VmHWM")
        ).split()[1]
        print(f"assertions: {args.count} (created in {created:.1f}s by the benchmark)")
        print(f"time until all children and status exist: {converged:.1f}s")
        by_verb = ", ".join(f"{v}={n / args.count:.2f}" for v, n in sorted(used.items()))
        print(f"API requests per assertion: {writes / args.count:.2f} writes (by verb: {by_verb})")
        per_min = {v: round(n * 60 / args.idle, 1) for v, n in idle.items() if n}
        print(f"idle requests per minute: {per_min or 'none'} (lease renewals are PUT/GET)")
        print(
            f"reconcile latency (histogram bucket bounds): p50 <= {p50 * 1000:.0f} ms, "
            f"p99 <= {p99 * 1000:.0f} ms"
        )
        print(f"peak RSS of the operator: {int(rss) / 1024:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
