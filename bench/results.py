"""Benchmark the results service on kubesim: N probe Pods finishing within a minute.

    .venv/bin/python -m bench.results [--count 1000] [--spread 60]

N assertions exist; one probe Job each (controlled by its assertion, as the operator
makes it: the results service believes no other Pod) is created over ``--spread``
seconds, and its Pod run by kubesim's kubelet (a shell printing a real probe output
document, so the Pods are cheap and the service does everything it does in a cluster:
watch, read the log, parse, write the report). The bench watches Pods and reports itself.

``--spread 0`` is a burst: every Job at once.

Prints: time until every report is current; latency from a Pod reaching
Succeeded to its report appearing (p50, p99; both seen by the bench's watches);
API requests per processed Pod by verb (from the service's /metrics) and by call
(kubesim's request log: log reads, report writes, Events); runs processed twice (a
Pod whose log was read, or whose report was written, more than once); CPU time and peak
RSS of the service. With ``--baseline-ref`` the same scenario first runs the results
service of that git ref (in a fresh kubesim) and each figure is printed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.kube import (
    JOBS,
    NAMESPACES,
    PODS,
    KubeApi,
)

from bench._common import (
    Cluster,
    Watcher,
    baseline_source,
    cpu_seconds,
    kubesim,
    ratio,
    requests_by_verb,
    service,
)
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


@dataclass
class Figures:
    """What one variant of the results service measured."""

    label: str
    created: float = 0.0
    last_pod: float = 0.0
    all_current: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_verb: dict[str, float] = field(default_factory=dict)
    by_call: dict[str, float] = field(default_factory=dict)
    twice: int = 0
    #: Passes over a run the report already showed (no request, but a reconcile).
    reflected_passes: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_kb: int = 0

    def per_pod(self, calls: tuple[str, ...]) -> float:
        return sum(self.by_call.get(c, 0.0) for c in calls)


#: The calls a run costs, beside Events (which only a changed outcome posts).
RUN_CALLS = (
    "GET pods/log",
    "POST policyreports",
    "PUT policyreports",
    "GET policyreports",
    "GET networkassertions",
)


def skipped(metrics: str, reason: str) -> float:
    """Passes the service skipped for ``reason`` (``netchecks_results_runs_skipped_total``)."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("netchecks_results_runs_skipped_total{") and f'reason="{reason}"' in line
    )


def processed_twice(cluster: Cluster) -> int:
    """Runs whose log was read, or whose report was written, more than once."""
    entries = cluster.sim.requests.entries(NS)
    reads = Counter(e.name for e in entries if e.call == "GET pods/log")
    writes = Counter(
        e.name for e in entries if e.call in ("POST policyreports", "PUT policyreports")
    )
    return sum(1 for n in reads.values() if n > 1) + sum(1 for n in writes.values() if n > 1)


def service_calls(cluster: Cluster, count: int) -> dict[str, float]:
    """The service's non-watch calls per Pod, from kubesim's request log."""
    ours = (*RUN_CALLS, "POST events")
    calls = Counter(c for c in cluster.sim.requests.calls(NS) if c in ours)
    return {call: round(n / count, 2) for call, n in sorted(calls.items())}


def create_assertions(api: KubeApi, args: argparse.Namespace) -> list[str]:
    rules = [{"name": f"r{i}", "type": "http", "url": f"http://svc/{i}"} for i in range(args.rules)]
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
    return uids


def measure(label: str, args: argparse.Namespace, source: Path | None) -> Figures:
    """One variant: a fresh kubesim and the results service (from ``source``)."""
    figures = Figures(label)
    with kubesim("bench-results-", pool_size=32, request_log_size=args.count * 20) as cluster:
        api = cluster.api
        time.sleep(0.5)
        api.create(NAMESPACES, {"metadata": {"name": NS}})
        uids = create_assertions(api, args)
        env = {
            "NETCHECKS_NAMESPACES": NS,
            "NETCHECKS_LEASE_NAMESPACE": NS,
            "NETCHECKS_WORKERS": str(args.workers),
        }
        pods_done = Watcher(
            api,
            NS,
            PODS,
            lambda o: (o.get("status") or {}).get("phase") == "Succeeded",
            key=JOB_NAME_LABEL,
        )
        reports = Watcher(api, NS, DEFAULT_REPORT_API, lambda o: True)
        try:
            with service("netchecks-results", cluster, source=source, **env) as results:
                time.sleep(2)  # leadership
                pods_done.start()
                reports.start()
                time.sleep(0.5)
                before = requests_by_verb(results.metrics())
                cluster.sim.requests.clear()
                cpu = cpu_seconds(results)
                output = output_line(args.rules)
                start = time.monotonic()
                for i, uid in enumerate(uids):
                    due = start + args.spread * i / args.count
                    time.sleep(max(0.0, due - time.monotonic()))
                    api.create(JOBS, probe_job(i, uid, output), NS)
                figures.created = time.monotonic() - start
                while len(reports.seen) < args.count:
                    if time.monotonic() - start > args.spread + 600:
                        raise SystemExit(
                            f"gave up: {len(reports.seen)} reports, {len(pods_done.seen)} pods done"
                        )
                    time.sleep(0.2)
                figures.all_current = time.monotonic() - start
                figures.last_pod = max(pods_done.seen.values()) - start
                time.sleep(3)  # anything processed again shows now
                metrics = results.metrics()
                after = requests_by_verb(metrics)
                figures.reflected_passes = skipped(metrics, "reflected") / args.count
                figures.cpu_seconds = cpu_seconds(results) - cpu
                figures.peak_rss_kb = results.peak_rss_kb()
                figures.twice = processed_twice(cluster)
                figures.by_call = service_calls(cluster, args.count)
        finally:
            pods_done.stop.set()
            reports.stop.set()
    figures.by_verb = {
        v: round((n - before.get(v, 0)) / args.count, 2) for v, n in sorted(after.items()) if n
    }
    figures.latencies = sorted(
        reports.seen[f"a{i:05d}"] - pods_done.seen[f"a{i:05d}-netchecks-g1"]
        for i in range(args.count)
        if f"a{i:05d}-netchecks-g1" in pods_done.seen
    )
    return figures


def report(args: argparse.Namespace, now: Figures, old: Figures | None) -> None:
    def line(what: str, unit: str, figure: Callable[[Figures], float]) -> None:
        value = figure(now)
        tail = ""
        if old is not None:
            before = figure(old)
            tail = f"   baseline {before:9.2f} {unit:<4} ({ratio(value, before)})"
        print(f"{what:<50} {value:9.2f} {unit:<4}{tail}")

    def p99(f: Figures) -> float:
        return f.latencies[max(0, int(len(f.latencies) * 0.99) - 1)] * 1000

    print(
        f"results: {args.count} probe Pods ({args.rules} rules each) created over "
        f"{now.created:.1f} s; {now.label}"
    )
    line("all reports current after", "s", lambda f: f.all_current)
    line(
        "latency Pod Succeeded -> report p50", "ms", lambda f: statistics.median(f.latencies) * 1000
    )
    line("latency Pod Succeeded -> report p99", "ms", p99)
    line("runs processed twice (log read or report written)", "", lambda f: f.twice)
    line("passes over an already reported run, per Pod", "", lambda f: f.reflected_passes)
    line("requests per Pod (log, report, reads)", "", lambda f: f.per_pod(RUN_CALLS))
    line("Events per Pod (first report: 2)", "", lambda f: f.per_pod(("POST events",)))
    line("CPU per Pod", "ms", lambda f: f.cpu_seconds * 1000 / args.count)
    line("peak RSS", "MB", lambda f: f.peak_rss_kb / 1024)
    print(f"calls per Pod (kubesim request log): {now.by_call}")
    print(
        f"API requests per Pod by verb (service /metrics; WATCH counts reconnects): {now.by_verb}"
    )
    if old is not None:
        print(f"  baseline ({old.label}): {old.by_call}; {old.by_verb}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds to create Pods over")
    parser.add_argument("--rules", type=int, default=4, help="rules per assertion")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-ref", help="git ref whose results service to measure first")
    args = parser.parse_args()
    baseline = None
    if args.baseline_ref:
        baseline = measure(
            f"baseline {args.baseline_ref}", args, baseline_source(args.baseline_ref)
        )
    current = measure("this tree", args, None)
    report(args, current, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
