"""Benchmark per-node runs (``spec.placement.nodes``) on kubesim: 1, 10 and 100 nodes.

    .venv/bin/python -m bench.nodes [--nodes 1 10 100] [--max-concurrent 10]

For each cluster size: one assertion (one ``internal`` rule) runs on every node; after the
first run's report, a second run is asked for (``netchecks.io/run-now``) and measured from
that moment until its report is written: the API requests the operator and the results
service made (kubesim's request log, by verb and resource), the objects the assertion
holds afterwards (Jobs, Pods), wall time, and the CPU time of both services. Per node
figures are the totals divided by the number of nodes. Watches and Lease renewals are left
out (they do not grow with runs); the benchmark's own run-now patch is not counted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kubernetes import client
from netchecks_core import naming
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.kube import JOBS, NAMESPACES, PODS

from bench._common import Cluster, kubesim, service
from tools.harness import ServiceProcess
from tools.kubesim.testing import node_manifest

NS = "bench"
POD_UID = "netchecks.io/pod-uid"
#: The benchmark's own request: the run-now annotation that starts the measured run.
TRIGGER = "PATCH networkassertions"
REPORT = ("wgpolicyk8s.io", "v1alpha2", "policyreports")


def _assertion(max_concurrent: int) -> dict[str, Any]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": "fleet", "namespace": NS},
        "spec": {
            "rules": [{"name": "ok", "type": "internal", "validate": {"pattern": "true"}}],
            "placement": {
                "nodes": {
                    "selector": {"matchLabels": {"bench": "yes"}},
                    "maxConcurrent": max_concurrent,
                }
            },
        },
    }


def _report_of(cluster: Cluster, run: str) -> dict[str, Any] | None:
    """The report if it shows ``run``; read in-process, so polling costs no request."""
    api = cluster.sim.api
    report = api.find(api.resource(*REPORT), NS, "fleet")
    marker = str(((report or {}).get("metadata") or {}).get("annotations", {}).get(POD_UID, ""))
    return report if report is not None and marker.startswith(f"run:{run}:") else None


def _wait_report(cluster: Cluster, run: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = _report_of(cluster, run)
        if report is not None:
            return report
        time.sleep(0.2)
    raise SystemExit(f"no report of run {run} within {timeout:.0f}s")


def _cpu_seconds(process: ServiceProcess) -> float:
    """User + system CPU time of a service process so far (from /proc)."""
    stat = Path(f"/proc/{process.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


def measure(count: int, max_concurrent: int) -> dict[str, Any]:
    """One cluster of ``count`` nodes: the figures of its second per-node run."""
    with kubesim(f"bench-nodes-{count}-") as cluster:
        core = client.CoreV1Api(cluster.sim.client())
        for i in range(count):
            core.create_node(node_manifest(f"node-{i:03d}", {"bench": "yes"}))  # type: ignore[arg-type]
        cluster.api.create(NAMESPACES, {"metadata": {"name": NS}})
        with (
            service("netchecks-operator", cluster, NETCHECKS_LEASE_NAMESPACE=NS) as operator,
            service("netchecks-results", cluster, NETCHECKS_LEASE_NAMESPACE=NS) as results,
        ):
            cluster.api.create(NETWORK_ASSERTIONS, _assertion(max_concurrent), NS)
            _wait_report(cluster, "g1", 60 + count * 3)
            time.sleep(1)
            cluster.sim.requests.clear()
            cpu = _cpu_seconds(operator) + _cpu_seconds(results)
            start = time.monotonic()
            patch = {"metadata": {"annotations": {"netchecks.io/run-now": "bench"}}}
            cluster.api.patch(NETWORK_ASSERTIONS, "fleet", patch, NS)
            run = "now-" + naming.name_hash("bench", 6)
            report = _wait_report(cluster, run, 60 + count * 3)
            wall = time.monotonic() - start
            time.sleep(2)  # the old run's deletes and the status write
            cpu = _cpu_seconds(operator) + _cpu_seconds(results) - cpu
            calls = Counter(
                f"{r.method} {r.resource}{'/' + r.subresource if r.subresource else ''}"
                for r in cluster.sim.requests.entries()
                if r.verb != "watch" and r.resource != "leases"
            )
            calls[TRIGGER] -= 1
            calls = +calls  # drop zero counts
            jobs = len(cluster.api.list(JOBS, NS)["items"])
            pods = len(cluster.api.list(PODS, NS)["items"])
    return {
        "nodes": count,
        "results": len(report["results"]),
        "wall": wall,
        "cpu": cpu,
        "calls": calls,
        "jobs": jobs,
        "pods": pods,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--max-concurrent", type=int, default=10)
    args = parser.parse_args()
    rows = [measure(n, args.max_concurrent) for n in args.nodes]
    base = rows[0]
    print(f"per-node run, maxConcurrent {args.max_concurrent}, one internal rule")
    for row in rows:
        n = row["nodes"]
        total = sum(row["calls"].values())
        writes = sum(v for k, v in row["calls"].items() if not k.startswith("GET"))
        print(
            f"{n:4d} nodes: {row['results']} results; {total} requests ({total / n:.1f}/node, "
            f"{writes} writes); objects after the run: {row['jobs']} Jobs, {row['pods']} Pods; "
            f"wall {row['wall']:.1f}s ({row['wall'] / base['wall']:.1f}x of {base['nodes']} "
            f"node), service CPU {row['cpu']:.2f}s ({row['cpu'] / max(base['cpu'], 0.01):.1f}x)"
        )
        print("      by call: " + ", ".join(f"{k}={v}" for k, v in sorted(row["calls"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
