"""Benchmark the operator on kubesim: N assertions created at once.

    .venv/bin/python -m bench.operator [--count 1000] [--idle 30]

Prints: time until every assertion has its children and status; API requests per
assertion by verb (from the operator's own /metrics); requests per minute when
idle; reconcile latency p50/p99 (histogram buckets); peak RSS of the operator.
"""

from __future__ import annotations

import argparse
import sys
import time

from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.kube import CONFIGMAPS, CRONJOBS, NAMESPACES

from bench._common import kubesim, requests_by_verb, service


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
    ns = "bench"
    with kubesim("bench-operator-") as cluster:
        api = cluster.api
        api.create(NAMESPACES, {"metadata": {"name": ns}})
        with service("netchecks-operator", cluster, NETCHECKS_LEASE_NAMESPACE=ns) as operator:
            time.sleep(3)  # let leadership settle
            before = requests_by_verb(operator.metrics())
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
                            "rules": [
                                {"name": "web", "type": "http", "url": f"http://svc-{i}.test/"}
                            ],
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
            metrics = operator.metrics()
            after = requests_by_verb(metrics)
            used = {v: after.get(v, 0) - before.get(v, 0) for v in after}
            writes = sum(n for v, n in used.items() if v in {"POST", "PUT", "PATCH", "DELETE"})
            p50, p99 = histogram_quantiles(
                metrics, "netchecks_operator_reconcile_duration_seconds", (0.5, 0.99)
            )
            idle_before = requests_by_verb(metrics)
            time.sleep(args.idle)
            idle_after = requests_by_verb(operator.metrics())
            idle = {v: idle_after.get(v, 0) - idle_before.get(v, 0) for v in idle_after}
            rss_kb = operator.peak_rss_kb()
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
    print(f"peak RSS of the operator: {rss_kb / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
