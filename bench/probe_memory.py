#!/usr/bin/env python3
"""Benchmark: peak memory of the probe with many big HTTP bodies, against a baseline.

    .venv/bin/python -m bench.probe_memory [--rules N] [--repeat N]

Starts a local HTTP server (tools/targets/http.py) and runs the real ``netchecks``
CLI on four configs of N rules (default 100): tiny bodies (the baseline), 1 MiB
bodies, the same with a Secret context to redact, and 256 MiB gzip bombs (at the
largest ``max-body-bytes``). For each it
prints peak RSS (the child's ``ru_maxrss``), CPU and wall time (worst over the
repeats) and the ratios to the baseline. The probe Pod's default memory limit is
256 Mi; the target is to stay well under it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.targets.http import HttpServer

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "netchecks"
MIB = 1024 * 1024
POD_LIMIT_MIB = 256


@dataclass
class Measure:
    """One run of the CLI."""

    peak_rss_mib: float
    cpu_s: float
    wall_s: float
    document_mib: float


def config(web: HttpServer, path: str, rules: int, **fields: Any) -> dict[str, Any]:
    """N http rules fetching ``path``."""
    rule = {"type": "http", "url": web.url(path), "timeout": 60, **fields}
    named = [{"name": f"r{i}", **rule} for i in range(rules)]
    return {"assertions": [{"name": "a", "rules": named}]}


def with_secret(document: dict[str, Any], work: Path) -> dict[str, Any]:
    """The config with a Secret context whose values every rule sends (and must redact)."""
    secret = work / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "token").write_text("bench-token-0123456789")
    (secret / "creds.json").write_text(json.dumps({"user": "svc", "password": "pw-987654321"}))
    document["contexts"] = [{"name": "s", "type": "directory", "path": str(secret), "secret": True}]
    for rule in document["assertions"][0]["rules"]:
        rule["headers"] = {"Authorization": "Bearer {{ s.token }}"}
        rule["url"] += "?p={{ parse_json(s['creds.json']).password }}"
    return document


def run_cli(path: Path) -> Measure:
    """Run ``netchecks run`` on a config; its own rusage, not this process's."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CLI), "run", "--config", str(path), "--exit-zero"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"netchecks failed on {path}")
    document = json.loads(output.splitlines()[-1])
    assert sum(len(a["results"]) for a in document["assertions"]) > 0
    return Measure(
        peak_rss_mib=usage.ru_maxrss / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        wall_s=wall,
        document_mib=len(output.splitlines()[-1]) / MIB,
    )


def worst(measures: list[Measure]) -> Measure:
    """The highest of each figure over the repeats."""
    return Measure(*(max(getattr(m, f) for m in measures) for f in Measure.__dataclass_fields__))


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="netchecks-bench-memory-"))
    with HttpServer() as web:
        cases = {
            "baseline: tiny bodies": config(web, "/json", args.rules),
            "1 MiB bodies": config(web, f"/bytes/{MIB}", args.rules),
            "1 MiB bodies, redacted": with_secret(config(web, f"/bytes/{MIB}", args.rules), work),
            "256 MiB gzip bombs": config(
                web, "/gzip-bomb?mib=256", args.rules, **{"max-body-bytes": 2 * MIB}
            ),
        }
        results: dict[str, Measure] = {}
        for name, document in cases.items():
            path = work / f"{len(results)}.json"
            path.write_text(json.dumps(document))
            results[name] = worst([run_cli(path) for _ in range(args.repeat)])
    base = results["baseline: tiny bodies"]
    print(f"{args.rules} http rules per run, worst of {args.repeat} runs")
    header = ("peak RSS", "x base", "CPU s", "x base", "wall s", "output")
    widths = (12, 8, 8, 8, 8, 10)
    print(f"{'case':<24}" + "".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for name, m in results.items():
        print(
            f"{name:<24}{m.peak_rss_mib:>9.1f} Mi{m.peak_rss_mib / base.peak_rss_mib:>8.2f}"
            f"{m.cpu_s:>8.2f}{m.cpu_s / base.cpu_s:>8.2f}{m.wall_s:>8.2f}{m.document_mib:>7.2f} Mi"
        )
    peak = max(m.peak_rss_mib for m in results.values())
    share = peak / POD_LIMIT_MIB
    print(f"highest peak RSS {peak:.1f} Mi = {share:.0%} of the Pod's {POD_LIMIT_MIB} Mi limit")


if __name__ == "__main__":
    main()
