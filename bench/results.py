"""Benchmark the results service on kubesim: N probe Pods finishing within a minute.

    .venv/bin/python -m bench.results [--count 1000] [--spread 60]

N assertions exist; one probe Job each (controlled by its assertion, as the operator
makes it: the results service believes no other Pod) is created over ``--spread``
seconds, and its Pod run by kubesim's kubelet (a shell printing a real probe output
document, so the Pods are cheap and the service does everything it does in a cluster:
watch, read the log, parse, write the report). The bench watches Pods and reports itself.

Prints: time until every report is current; latency from a Pod reaching
Succeeded to its report appearing (p50, p99; both seen by the bench's watches);
API requests per processed Pod by verb (from the service's /metrics); peak RSS of
the service (VmHWM).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.kube import (
    JOBS,
    NAMESPACES,
    PODS,
    KubeApi,
)

from bench._common import kubesim, requests_by_verb, service
from tools.builders import output_document, probe_job_manifest, rule_result

NS = "bench"


def output_line(rules: int) -> str:
    """A probe output document of ``rules`` HTTP results, every fourth one failing."""
    return output_document(
        {
            f"r{i}": rule_result(
                "pass" if i % 4 else "fail",
                spec={"type": "http", "url": f"http://svc/{i}"},
                data={
                    "status-code": 200 if i % 4 else 503,
                    "startTimestamp": "2025-06-01T12:00:00+00:00",
                    "endTimestamp": "2025-06-01T12:00:00.100000+00:00",
                },
            )
            for i in range(rules)
        }
    )


JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


def probe_job(index: int, uid: str, output: str) -> dict[str, object]:
    """The one-shot Job of assertion ``index``, controlled by it as the operator makes it."""
    script = 'echo "probe: running"; printf "%s\\n" "$OUT"; echo "done" >&2'
    assertion = {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": f"a{index:05d}", "namespace": NS, "uid": uid},
    }
    container = {
        "name": "probe",
        "image": "busybox",
        "command": ["sh", "-c", script],
        "env": [{"name": "OUT", "value": output}],
    }
    return probe_job_manifest(assertion, container)


class Watcher(threading.Thread):
    """Records when each object first satisfies ``done`` (bench-side clock)."""

    def __init__(
        self, api: KubeApi, resource: Resource, done: Callable[[Any], bool], key: str | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.api, self.resource, self.done = api, resource, done
        #: A label naming the object in ``seen`` (default: its name).
        self.key = key
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        version = self.api.list(self.resource, NS)["metadata"]["resourceVersion"]
        while not self.stop.is_set():
            for event in self.api.watch(
                self.resource, NS, resource_version=version, timeout_seconds=30
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds to create Pods over")
    parser.add_argument("--rules", type=int, default=4, help="rules per assertion")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with kubesim("bench-results-", pool_size=32) as cluster:
        api = cluster.api
        time.sleep(0.5)
        api.create(NAMESPACES, {"metadata": {"name": NS}})
        rules = [
            {"name": f"r{i}", "type": "http", "url": f"http://svc/{i}"} for i in range(args.rules)
        ]
        uids = []
        for i in range(args.count):
            made = api.create(
                NETWORK_ASSERTIONS,
                {
                    "apiVersion": "netchecks.io/v1",
                    "kind": "NetworkAssertion",
                    "metadata": {"name": f"a{i:05d}", "namespace": NS},
                    "spec": {"rules": rules},
                },
                NS,
            )
            uids.append(made["metadata"]["uid"])
        env = {
            "NETCHECKS_NAMESPACES": NS,
            "NETCHECKS_LEASE_NAMESPACE": NS,
            "NETCHECKS_WORKERS": str(args.workers),
        }
        pods_done = Watcher(
            api,
            PODS,
            lambda o: (o.get("status") or {}).get("phase") == "Succeeded",
            key=JOB_NAME_LABEL,
        )
        reports = Watcher(api, DEFAULT_REPORT_API, lambda o: True)
        try:
            with service("netchecks-results", cluster, **env) as results:
                time.sleep(2)  # leadership
                pods_done.start()
                reports.start()
                time.sleep(0.5)
                before = requests_by_verb(results.metrics())
                output = output_line(args.rules)
                start = time.monotonic()
                for i, uid in enumerate(uids):
                    due = start + args.spread * i / args.count
                    time.sleep(max(0.0, due - time.monotonic()))
                    api.create(JOBS, probe_job(i, uid, output), NS)
                created = time.monotonic() - start
                while len(reports.seen) < args.count:
                    if time.monotonic() - start > args.spread + 600:
                        print(
                            f"gave up: {len(reports.seen)} reports, {len(pods_done.seen)} pods done"
                        )
                        return 1
                    time.sleep(0.2)
                all_current = time.monotonic() - start
                last_pod = max(pods_done.seen.values()) - start
                time.sleep(1)
                after = requests_by_verb(results.metrics())
                rss_kb = results.peak_rss_kb()
        finally:
            pods_done.stop.set()
            reports.stop.set()
    used = {v: after.get(v, 0) - before.get(v, 0) for v in after}
    latencies = sorted(
        reports.seen[f"a{i:05d}"] - pods_done.seen[f"a{i:05d}-netchecks-g1"]
        for i in range(args.count)
        if f"a{i:05d}-netchecks-g1" in pods_done.seen
    )
    print(f"probe Pods: {args.count} ({args.rules} rules each), created over {created:.1f} s")
    print(f"last Pod succeeded at {last_pod:.1f} s; all reports current at {all_current:.1f} s")
    print(
        "latency Pod Succeeded -> report written: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms (n={len(latencies)})"
    )
    per_pod = {v: round(n / args.count, 2) for v, n in sorted(used.items()) if n}
    print(f"API requests per processed Pod: {per_pod} (WATCH counts reconnects, not events)")
    print(f"peak RSS of netchecks-results: {rss_kb} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
