"""End-to-end latency on kubesim: a new assertion -> its PolicyReport -> its status.

    .venv/bin/python -m bench.e2e [--count 10] [--baseline-ref main]

The operator and the results service run as processes against kubesim, whose Job
controller and kubelet run the real probe (``netchecks``) as a local process. One
one-shot assertion (one ``internal`` rule: no network) is created at a time, and the
bench's own watches time each step on one clock:

    created -> Job (operator) -> Pod (Job controller) -> Pod running (kubelet)
    -> Pod succeeded (the probe process) -> report (results) -> status (operator)

Prints the median and max of each step and of the whole (created -> report), and with
``--baseline-ref`` the same for the services of that git ref, measured first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.kube import JOBS, NAMESPACES, PODS

from bench._common import Watcher, baseline_source, kubesim, ratio, service

NS = "bench"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
#: The steps, each timed by its own watcher; each starts where the previous ends.
STEPS = ("job", "pod", "running", "succeeded", "report", "status")
#: The steps whose objects are named after the run's Job (the others: the assertion).
RUN_STEPS = ("job", "pod", "running", "succeeded")


def phase_is(*phases: str) -> Any:
    return lambda pod: (pod.get("status") or {}).get("phase") in phases


def complete(assertion: dict[str, Any]) -> bool:
    conditions = (assertion.get("status") or {}).get("conditions") or []
    return any(c.get("reason") == "ProbeComplete" for c in conditions)


def body(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": f"e{index:03d}", "namespace": NS},
        "spec": {"rules": [{"name": "r", "type": "internal", "validate": {"pattern": "true"}}]},
    }


def measure(args: argparse.Namespace, source: Path | None) -> dict[str, list[float]]:
    """Seconds of each step (and ``total``) for ``args.count`` assertions, one at a time."""
    steps: dict[str, list[float]] = {name: [] for name in (*STEPS, "total")}
    env = {"NETCHECKS_LEASE_NAMESPACE": NS, "NETCHECKS_NAMESPACES": NS}
    with kubesim("bench-e2e-") as cluster:
        api = cluster.api
        api.create(NAMESPACES, {"metadata": {"name": NS}})
        watchers = {
            "job": Watcher(api, NS, JOBS, lambda o: True),
            "pod": Watcher(api, NS, PODS, lambda o: True, key=JOB_NAME_LABEL),
            "running": Watcher(api, NS, PODS, phase_is("Running", "Succeeded"), key=JOB_NAME_LABEL),
            "succeeded": Watcher(api, NS, PODS, phase_is("Succeeded"), key=JOB_NAME_LABEL),
            "report": Watcher(api, NS, DEFAULT_REPORT_API, lambda o: True),
            "status": Watcher(api, NS, NETWORK_ASSERTIONS, complete),
        }
        results = service("netchecks-results", cluster, source=source, **env)
        operator = service("netchecks-operator", cluster, source=source, **env)
        try:
            with results, operator:
                for watcher in watchers.values():
                    watcher.start()
                time.sleep(3)  # leadership, watches open
                for i in range(args.count):
                    name = f"e{i:03d}"
                    start = time.monotonic()
                    api.create(NETWORK_ASSERTIONS, body(i), NS)
                    _wait(lambda n=name: n in watchers["status"].seen, 60)
                    keys = dict.fromkeys(STEPS, name) | dict.fromkeys(
                        ("job", "pod", "running", "succeeded"), f"{name}-netchecks-g1"
                    )
                    previous = start
                    for step in STEPS:
                        moment = watchers[step].seen.get(keys[step], previous)
                        steps[step].append(max(0.0, moment - previous))
                        previous = max(previous, moment)
                    steps["total"].append(watchers["report"].seen[name] - start)
        finally:
            for watcher in watchers.values():
                watcher.stop.set()
    return steps


def _wait(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("gave up waiting for the status")
        time.sleep(0.01)


def report(now: dict[str, list[float]], old: dict[str, list[float]] | None) -> None:
    labels = {
        "job": "created -> Job (operator)",
        "pod": "Job -> Pod (Job controller)",
        "running": "Pod -> running (kubelet)",
        "succeeded": "running -> succeeded (probe process)",
        "report": "succeeded -> report (results)",
        "status": "report -> status (operator)",
        "total": "TOTAL created -> report",
    }
    for step, label in labels.items():
        p50, top = statistics.median(now[step]) * 1000, max(now[step]) * 1000
        tail = ""
        if old is not None:
            before = statistics.median(old[step]) * 1000
            tail = f"   baseline median {before:7.0f} ms ({ratio(p50, before)})"
        print(f"{label:<38} median {p50:7.0f} ms  max {top:7.0f} ms{tail}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--baseline-ref", help="git ref whose services to measure first")
    args = parser.parse_args()
    baseline = None
    if args.baseline_ref:
        baseline = measure(args, baseline_source(args.baseline_ref))
    current = measure(args, None)
    print(f"end to end: {args.count} one-shot assertions (1 internal rule), one at a time")
    report(current, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
