"""Benchmark the operator on kubesim: N scheduled assertions in steady state, then runs.

    .venv/bin/python -m bench.operator [--count 1000] [--runs 200] [--baseline-ref main]

N scheduled assertions are created and the operator converges (children and status).
Then ``--rounds`` rounds of scheduled runs: in each, ``--runs`` assertions run once
(kubesim's CronJob controller makes a Job from each CronJob, as at a schedule tick), at
``--rate`` runs per second; kubesim runs each probe Pod as a tiny script printing a
passing result, and the real results service writes the PolicyReport, which the operator
turns into the status. A run is done when the report shows its Job and the assertion's
status names it. From the fourth round on, the CronJob keeps three finished Jobs and
deletes older ones: the cache holds the history a real schedule leaves.

``--seed-history 3 --rounds 1`` reaches that state at 10,000 assertions in minutes
instead of an hour: once converged, three finished Jobs of every CronJob are made by
kubesim's own CronJob controller code with the status its Job controller leaves (see
bench/history.py for what is seeded and why the operator sees the same objects), the
operator takes them in through its watches, then one real round runs on top (its fourth
Job makes each CronJob delete its oldest, as the fourth real round does).

Prints for the operator process: time to converge; RSS per assertion (RSS growth from
before the first assertion, once converged and after the runs); reconciles, CPU time and
API requests per scheduled run; idle CPU; what a 5-minute schedule over 10,000
assertions would cost (extrapolated from the per-run and per-assertion figures). With
``--baseline-ref`` the same scenario first runs the operator of that git ref (in a fresh
kubesim), and every figure is printed beside it with the ratio.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netchecks_core import naming
from netchecks_core.policyreport import ANNOTATION_JOB_UID as JOB_UID
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.kube import CONFIGMAPS, CRONJOBS, JOBS, NAMESPACES

from bench._common import (
    FAKE_PROBE_REPOSITORY,
    Cluster,
    baseline_source,
    counter,
    cpu_seconds,
    kubesim,
    ratio,
    requests_by_verb,
    rss_kb,
    service,
)
from bench.history import seed_history
from tools.harness import ServiceProcess
from tools.waiting import wait_for

NS = "bench"
RECONCILES = "netchecks_operator_reconciles_total"
#: A schedule that never fires by itself: the benchmark starts the runs.
NEVER = "0 0 1 1 *"
#: The schedule the extrapolation is for, in seconds.
FIVE_MINUTES = 300.0
SCALE = 10_000
#: Finished Jobs each CronJob keeps (the operator's successfulJobsHistoryLimit).
HISTORY = 3


@dataclass
class Figures:
    """What one variant of the operator measured."""

    label: str
    converged: float = 0.0
    rss_per_assertion_kb: float = 0.0
    rss_converged_kb: float = 0.0
    rss_seeded_kb: float = 0.0
    seeded_seconds: float = 0.0
    reconciles_per_run: float = 0.0
    cpu_per_run_ms: float = 0.0
    requests_per_run: dict[str, float] = field(default_factory=dict)
    idle_cpu_per_s: float = 0.0
    peak_rss_mb: float = 0.0
    jobs_per_assertion: float = 0.0
    runs_seconds: float = 0.0

    def cores_at_scale(self) -> float:
        """Cores needed for SCALE assertions on a 5-minute schedule (extrapolated)."""
        return self.cpu_per_run_ms / 1000 * SCALE / FIVE_MINUTES + self.idle_cpu_per_s

    def rss_at_scale_mb(self) -> float:
        return self.rss_per_assertion_kb * SCALE / 1024


def assertion_body(index: int) -> dict[str, object]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": f"a{index:05d}", "namespace": NS},
        "spec": {
            "schedule": NEVER,
            "rules": [{"name": "web", "type": "http", "url": f"http://svc-{index}.test/"}],
        },
    }


def stored(cluster: Cluster, resource: Resource) -> list[dict[str, Any]]:
    """The objects kubesim stores (read in this process, not to be changed): listing 10,000
    objects through the API every second would cost kubesim more than the runs it serves."""
    rt = cluster.sim.api.registry.lookup(resource.group, resource.version, resource.plural)
    assert rt is not None
    return cluster.sim.api.store.list(rt.storage_key, NS)


def wait_converged(cluster: Cluster, count: int, start: float) -> float:
    """Seconds from ``start`` until every assertion has its ConfigMap, CronJob and status."""
    while True:
        done = sum(1 for a in stored(cluster, NETWORK_ASSERTIONS) if a.get("status"))
        cms = len(stored(cluster, CONFIGMAPS))
        cjs = len(stored(cluster, CRONJOBS))
        if done == cms == cjs == count:
            return time.monotonic() - start
        if time.monotonic() - start > 1800:
            raise SystemExit(f"gave up: status {done}, configmaps {cms}, cronjobs {cjs}")
        time.sleep(1.0)


def start_runs(cluster: Cluster, names: list[str], rate: float) -> dict[str, tuple[str, str]]:
    """Start one scheduled run of each assertion, ``rate`` a second; name -> Job name, uid."""
    jobs: dict[str, tuple[str, str]] = {}
    start = time.monotonic()
    for i, name in enumerate(names):
        time.sleep(max(0.0, start + i / rate - time.monotonic()))
        job = cluster.sim.controllers.cronjobs.trigger(NS, naming.cronjob_name(name))
        jobs[name] = (job["metadata"]["name"], job["metadata"]["uid"])
    return jobs


def wait_runs_shown(cluster: Cluster, jobs: dict[str, tuple[str, str]], timeout: float) -> None:
    """Until every report shows its run's Job and every assertion's status names it."""
    deadline = time.monotonic() + timeout
    while True:
        reported = {
            r["metadata"]["name"]: (r["metadata"].get("annotations") or {}).get(JOB_UID)
            for r in stored(cluster, DEFAULT_REPORT_API)
        }
        shown = sum(
            1
            for item in stored(cluster, NETWORK_ASSERTIONS)
            if (name := item["metadata"]["name"]) in jobs
            and (item.get("status") or {}).get("jobName") == jobs[name][0]
            and reported.get(naming.policy_report_name(name)) == jobs[name][1]
        )
        if shown == len(jobs):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up: {shown} of {len(jobs)} runs shown in status")
        time.sleep(1.0)


def kept_jobs(cluster: Cluster) -> int:
    """Jobs stored and not being deleted."""
    return sum(1 for j in stored(cluster, JOBS) if not j["metadata"].get("deletionTimestamp"))


def wait_history_trimmed(cluster: Cluster, limit: int, timeout: float = 300.0) -> None:
    """Until the CronJobs have deleted their oldest Jobs (at most ``limit`` kept): the
    state a schedule leaves, not one with a fourth Job still cached. If they do not in
    time, the figures are still printed (with the Jobs kept), after a warning."""
    what = f"at most {limit} Jobs kept"
    try:
        wait_for(lambda: kept_jobs(cluster) <= limit, timeout, what, interval=1.0)
    except AssertionError as error:
        print(f"WARNING: {error}", file=sys.stderr)


def wait_quiet(
    operator: ServiceProcess, window: float = 3.0, busy: float = 0.05, timeout: float = 1800.0
) -> None:
    """Until the operator uses less than ``busy`` of a core over ``window`` seconds."""

    def quiet() -> bool:
        cpu = cpu_seconds(operator)
        time.sleep(window)
        return cpu_seconds(operator) - cpu < busy * window

    wait_for(quiet, timeout, "the operator to go idle", interval=0)


def seed(cluster: Cluster, operator: ServiceProcess, args: argparse.Namespace) -> float:
    """Seed ``--seed-history`` finished Jobs per CronJob; seconds until the operator is idle."""
    start = time.monotonic()
    cronjobs = [naming.cronjob_name(f"a{i:05d}") for i in range(args.count)]
    made = seed_history(cluster.sim, NS, cronjobs, args.seed_history)
    print(f"seeded {made} finished Jobs in {time.monotonic() - start:.0f} s", file=sys.stderr)
    wait_quiet(operator)
    return time.monotonic() - start


def lost_lease(cluster: Cluster) -> None:
    """Say so if a service lost its lease: its figures would include a restart's."""
    for log in sorted(cluster.work.glob("netchecks-*.log")):
        if "lost the lease" in log.read_text(errors="replace"):
            print(f"WARNING: {log.name}: lost the lease during the benchmark", file=sys.stderr)


def measure(label: str, args: argparse.Namespace, source: Path | None) -> Figures:
    """One variant: a fresh kubesim, the results service, the operator (from ``source``)."""
    figures = Figures(label)
    env = {"NETCHECKS_LEASE_NAMESPACE": NS, "NETCHECKS_NAMESPACES": NS}
    probe = {"NETCHECKS_PROBE_IMAGE_REPOSITORY": FAKE_PROBE_REPOSITORY}
    with kubesim("bench-operator-", request_log_size=1000) as cluster:
        api = cluster.api
        api.create(NAMESPACES, {"metadata": {"name": NS}})
        results = service("netchecks-results", cluster, source=None, **env)
        operator = service("netchecks-operator", cluster, source=source, **(env | probe))
        with results, operator:
            time.sleep(3)  # let leadership settle
            rss_before = rss_kb(operator)
            start = time.monotonic()
            for i in range(args.count):
                api.create(NETWORK_ASSERTIONS, assertion_body(i), NS)
            figures.converged = wait_converged(cluster, args.count, start)
            # kubesim's objects (this process) so far: out of every later full collection,
            # which at 10,000 assertions would scan them over and over during the runs.
            gc.freeze()
            time.sleep(5)
            figures.rss_converged_kb = (rss_kb(operator) - rss_before) / args.count
            cpu = cpu_seconds(operator)
            time.sleep(args.idle)
            figures.idle_cpu_per_s = (cpu_seconds(operator) - cpu) / args.idle
            if args.seed_history:
                figures.seeded_seconds = seed(cluster, operator, args)
                figures.rss_seeded_kb = (rss_kb(operator) - rss_before) / args.count
            metrics = operator.metrics()
            reconciles, requests = counter(metrics, RECONCILES), requests_by_verb(metrics)
            cpu, start = cpu_seconds(operator), time.monotonic()
            names = random.Random(1).sample(
                [f"a{i:05d}" for i in range(args.count)], min(args.runs or args.count, args.count)
            )
            for round_ in range(args.rounds):
                jobs = start_runs(cluster, names, args.rate)
                wait_runs_shown(cluster, jobs, timeout=1800)
                done = time.monotonic() - start
                print(f"round {round_ + 1} of {args.rounds} shown at {done:.0f} s", file=sys.stderr)
            if args.seed_history + args.rounds > HISTORY:
                wait_history_trimmed(cluster, HISTORY * args.count)
            time.sleep(3)  # reconciles the last writes cause
            figures.runs_seconds = time.monotonic() - start
            figures.rss_per_assertion_kb = (rss_kb(operator) - rss_before) / args.count
            figures.jobs_per_assertion = kept_jobs(cluster) / args.count
            metrics = operator.metrics()
            runs = len(names) * args.rounds
            idle_share = figures.idle_cpu_per_s * figures.runs_seconds
            figures.cpu_per_run_ms = (cpu_seconds(operator) - cpu - idle_share) * 1000 / runs
            figures.reconciles_per_run = (counter(metrics, RECONCILES) - reconciles) / runs
            after = requests_by_verb(metrics)
            figures.requests_per_run = {
                verb: round((n - requests.get(verb, 0)) / runs, 2) for verb, n in after.items()
            }
            figures.peak_rss_mb = operator.peak_rss_kb() / 1024
            lost_lease(cluster)
    return figures


def report(args: argparse.Namespace, current: Figures, baseline: Figures | None) -> None:
    def line(what: str, value: float, unit: str, old: float | None) -> None:
        before = (
            f"   baseline {old:9.2f} {unit:<6} ({ratio(value, old)})" if old is not None else ""
        )
        print(f"{what:<46} {value:9.2f} {unit:<6}{before}")

    def of(name: str) -> float | None:
        return getattr(baseline, name) if baseline is not None else None

    runs = min(args.runs or args.count, args.count)
    seeded = f", on {args.seed_history} seeded finished Jobs each" if args.seed_history else ""
    print(
        f"operator: {args.count} scheduled assertions, {args.rounds} round(s) of {runs} runs "
        f"at {args.rate:.0f}/s{seeded}; {current.label}"
    )
    line("time until all children and status exist", current.converged, "s", of("converged"))
    line(
        "RSS per assertion, converged (no Jobs)",
        current.rss_converged_kb,
        "kB",
        of("rss_converged_kb"),
    )
    line(
        "RSS per assertion after the runs",
        current.rss_per_assertion_kb,
        "kB",
        of("rss_per_assertion_kb"),
    )
    if args.seed_history:
        line("time to seed the history", current.seeded_seconds, "s", of("seeded_seconds"))
        line(
            f"RSS per assertion, {args.seed_history} seeded Jobs",
            current.rss_seeded_kb,
            "kB",
            of("rss_seeded_kb"),
        )
    line("Jobs kept per assertion after the runs", current.jobs_per_assertion, "", None)
    line("peak RSS", current.peak_rss_mb, "MB", of("peak_rss_mb"))
    line("time for the rounds of runs", current.runs_seconds, "s", of("runs_seconds"))
    line("reconciles per scheduled run", current.reconciles_per_run, "", of("reconciles_per_run"))
    line(
        "CPU per scheduled run (idle CPU removed)",
        current.cpu_per_run_ms,
        "ms",
        of("cpu_per_run_ms"),
    )
    line(
        "idle CPU (steady state, no runs)",
        current.idle_cpu_per_s * 1000,
        "ms/s",
        (baseline.idle_cpu_per_s * 1000) if baseline else None,
    )
    line(
        f"cores for {SCALE} assertions every 5 min (extrap.)",
        current.cores_at_scale(),
        "cores",
        baseline.cores_at_scale() if baseline else None,
    )
    line(
        f"RSS at {SCALE} assertions (extrap.)",
        current.rss_at_scale_mb(),
        "MB",
        baseline.rss_at_scale_mb() if baseline else None,
    )
    print(f"API requests per scheduled run: {current.requests_per_run}")
    if baseline is not None:
        print(f"  baseline ({baseline.label}): {baseline.requests_per_run}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=0, help="runs per round (0: every one)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of runs (4: full history)")
    parser.add_argument("--rate", type=float, default=20.0, help="runs started per second")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured")
    parser.add_argument(
        "--seed-history",
        type=int,
        default=0,
        help="finished Jobs to seed per CronJob before the rounds (3 + 1 round: full history)",
    )
    parser.add_argument("--baseline-ref", help="git ref whose operator to measure first")
    args = parser.parse_args()
    baseline = None
    if args.baseline_ref:
        source = baseline_source(args.baseline_ref)
        baseline = measure(f"baseline {args.baseline_ref}", args, source)
    current = measure("this tree", args, None)
    report(args, current, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
