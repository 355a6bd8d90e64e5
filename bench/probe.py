#!/usr/bin/env python3
"""Benchmark: our ``netchecks`` probe vs the old ``netcheck`` 0.10.0 CLI, side by side.

    .venv/bin/python -m bench.probe [--repeat N] [--counts 1,10,50,200]

Starts loopback targets from ``tools/targets`` (an HTTP server with a 200 ms
``/slow`` endpoint, a TCP listener, a closed port, and dnsmasq on 127.0.0.2:53
when that port can be bound: the old CLI cannot query another port), writes
configs of 1, 10, 50 and 200 mixed http/tcp/dns/internal rules, runs both CLIs
on each in turn and prints, per CLI: CPU time of the child (user + sys, the
figure robust to a loaded machine), wall time (medians over the repeats), peak
RSS (max) and the ratios; the CPU each extra rule costs; and how much the
durations the CLIs report exceed the network time (``/slow`` rules: reported
duration minus the exchange as the server timed it, from the kernel's arrival stamp of
the request to after sending the last byte: the 200 ms delay plus the server's own work,
which grows with the requests it serves at once; the rest of a loopback exchange is well
under a millisecond; the server reads its end after its send returns, when its thread
has the interpreter lock back, so its figure can be late by a few milliseconds: a
reported duration a little below it is that, and the minimum is printed too).
The old CLI is installed once in ``.bench/netcheck-0.10.0``
(a venv, with ``common-expression-language==0.5.6`` pinned as its lock file
does; newer releases crash on failing checks). Our sources are compiled to
bytecode first, as the probe image does (``compileall``): a run never pays for it.

Targets (issue 18): CPU at most 0.5x the old CLI's at 1 and 50 rules, at most
0.8 ms per extra rule, wall at most 0.25x at 50 rules, durations within 2 ms. The CPU
per extra rule is printed over 10 -> 200 rules (every check type, and the CEL engine,
loaded at both ends: what one more rule costs) and over 1 -> N rules (which also holds
the one-time imports the other check types and cel-python bring).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.targets.dns import WWW, WWW_A, Dnsmasq, DnsServerError
from tools.targets.http import HttpServer
from tools.targets.tcp import ClosedPort, SilentServer

ROOT = Path(__file__).resolve().parent.parent

OLD_VENV = ROOT / ".bench" / "netcheck-0.10.0"
OLD_PINS = ["netcheck==0.10.0", "common-expression-language==0.5.6"]
NEW_CLI = ROOT / ".venv" / "bin" / "netchecks"
OLD_CLI = OLD_VENV / "bin" / "netcheck"
#: The old CLI always queries port 53, so dnsmasq gets its own loopback address.
DNS_ADDRESS = "127.0.0.2"
#: What the ``/slow`` endpoint waits before answering (the network time of those rules).
SLOW_SECONDS = 0.2


def ensure_old_cli() -> None:
    """Install the old CLI in its own venv (once)."""
    if OLD_CLI.exists():
        return
    print(f"installing {' '.join(OLD_PINS)} into {OLD_VENV}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(OLD_VENV)], check=True)
    pip = [str(OLD_VENV / "bin" / "pip"), "install", "-q", *OLD_PINS]
    subprocess.run(pip, check=True)


def compile_new_cli() -> None:
    """Compile our packages' sources to bytecode, as the probe image does at build time."""
    sources = [str(path) for path in sorted((ROOT / "packages").glob("*/src"))]
    command = [str(NEW_CLI.parent / "python"), "-m", "compileall", "-q", *sources]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Targets:
    """The loopback servers the rules talk to."""

    web: HttpServer
    listener: SilentServer
    closed: ClosedPort
    dns: Dnsmasq | None


def start_targets(stack: ExitStack) -> Targets:
    """Start every target (stopped when ``stack`` closes); DNS only where port 53 is free."""
    web = stack.enter_context(HttpServer())
    listener = stack.enter_context(SilentServer())
    closed = stack.enter_context(ClosedPort())
    records = [f"--host-record={WWW},{WWW_A}", "--address=/#/"]
    dns: Dnsmasq | None = None
    try:
        dns = stack.enter_context(Dnsmasq(records, ready_name=WWW, host=DNS_ADDRESS, port=53))
    except DnsServerError as error:
        print(f"no DNS rules: {error}", file=sys.stderr)
    return Targets(web, listener, closed, dns)


def rules(count: int, targets: Targets) -> list[dict[str, Any]]:
    """``count`` mixed rules; two in ten hit the 200 ms endpoint."""
    web = targets.web
    slow = web.url(f"/slow?delay={SLOW_SECONDS}")
    tcp_port = targets.listener.port
    kinds: list[dict[str, Any]] = [
        {"type": "http", "url": web.url("/json")},
        {"type": "http", "url": slow},
        {"type": "tcp", "host": "127.0.0.1", "port": tcp_port},
        {"type": "tcp", "host": "127.0.0.1", "port": targets.closed.port, "expected": "fail"},
        {"type": "dns", "host": WWW, "server": DNS_ADDRESS}
        if targets.dns is not None
        else {"type": "http", "url": web.url("/status/404"), "expected": "fail"},
        {
            "type": "http",
            "url": web.url("/json"),
            "validation": "parse_json(data.body).status == 'ok'",
        },
        {"type": "internal", "validation": "true"},
        {"type": "tcp", "host": "127.0.0.1", "port": tcp_port},
        {"type": "http", "url": slow},
        {"type": "http", "url": web.url("/echo"), "headers": {"X-Bench": "1"}},
    ]
    return [_named(f"rule-{i}", kinds[i % len(kinds)]) for i in range(count)]


def _named(name: str, kind: dict[str, Any]) -> dict[str, Any]:
    """The rule ``name``; a ``/slow`` one tells the server its name, to time the exchange."""
    rule = {"name": name, **kind}
    if "/slow" in str(rule.get("url", "")):
        rule["url"] = f"{rule['url']}&id={name}"
    return rule


@dataclass
class Run:
    """One run of a CLI: CPU (user + sys) and wall seconds, peak RSS (KiB), stdout, and the
    seconds the server took over each ``/slow`` exchange (by rule name)."""

    cpu: float
    wall: float
    rss: int
    stdout: str
    served: dict[str, float] = field(default_factory=dict)


def measure(command: list[str], web: HttpServer | None = None) -> Run:
    """Run ``command`` once and take its own resource usage (``wait4``).

    With ``web``, the run also takes what the server timed of its ``/slow`` exchanges.
    """
    if web is not None:
        web.served.clear()
    run = _measure(command)
    if web is not None:
        run.served = dict(web.served)
    return run


def _measure(command: list[str]) -> Run:
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, stdout)


@dataclass
class Series:
    """Repeated runs of one command: medians of CPU and wall, max of RSS."""

    runs: list[Run] = field(default_factory=list)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def rss(self) -> int:
        return max(r.rss for r in self.runs)

    def passes(self) -> str:
        """``passed/total`` of the last run (``?`` when its output does not parse)."""
        results = _results(self.runs[-1].stdout)
        if results is None:
            return "?"
        return f"{sum(r.get('status') == 'pass' for r in results)}/{len(results)}"

    def slow_excess_ms(self) -> list[float]:
        """Reported duration minus the network time, of every ``/slow`` rule of every run.

        The network time is what the server measured of the exchange, from accepting the
        connection to sending the answer's last byte (the delay, plus the server's own
        work, which grows with the requests it serves at once).
        """
        excess = []
        for run in self.runs:
            for result in _results(run.stdout) or []:
                url = str((result.get("spec") or {}).get("url", ""))
                seconds = _duration(result.get("data") or {})
                served = run.served.get(str(result.get("name")))
                if "/slow" in url and seconds is not None and served is not None:
                    excess.append((seconds - served) * 1000)
        return excess


def _results(stdout: str) -> list[dict[str, Any]] | None:
    """The results of an output document: all of stdout (0.10, indented) or its last line."""
    for text in (stdout, stdout.strip().rsplit("\n", 1)[-1]):
        try:
            document = json.loads(text)
            return [r for a in document["assertions"] for r in a["results"]]
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _duration(data: dict[str, Any]) -> float | None:
    try:
        start = datetime.datetime.fromisoformat(str(data["startTimestamp"]))
        end = datetime.datetime.fromisoformat(str(data["endTimestamp"]))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def compare(
    new: list[str], old: list[str], repeat: int, web: HttpServer | None = None
) -> tuple[Series, Series]:
    """Run both commands ``repeat`` times, alternating, so both see the same load."""
    new_series, old_series = Series(), Series()
    for _ in range(repeat):
        new_series.runs.append(measure(new, web))
        old_series.runs.append(measure(old, web))
    return new_series, old_series


def print_table(rows: list[tuple[str, Series, Series]]) -> None:
    print(
        f"{'case':<14}{'ours cpu':>10}{'wall':>9}{'RSS':>8}"
        f"{'0.10 cpu':>10}{'wall':>9}{'RSS':>8}"
        f"{'cpu x':>8}{'wall x':>8}{'RSS x':>7}  passed (ours, 0.10)"
    )
    for name, new, old in rows:
        verdicts = f"{new.passes()}, {old.passes()}" if name.startswith("run") else ""
        print(
            f"{name:<14}{new.cpu * 1000:>8.0f}ms{new.wall * 1000:>7.0f}ms{new.rss / 1024:>6.1f}MB"
            f"{old.cpu * 1000:>8.0f}ms{old.wall * 1000:>7.0f}ms{old.rss / 1024:>6.1f}MB"
            f"{new.cpu / old.cpu:>8.2f}{new.wall / old.wall:>8.2f}{new.rss / old.rss:>7.2f}"
            f"  {verdicts}"
        )


def print_durations(rows: list[tuple[str, Series, Series]]) -> float | None:
    """Reported minus network time of the ``/slow`` rules; returns our worst median."""
    print(
        f"reported duration minus network time (/slow rules: {SLOW_SECONDS * 1000:.0f} ms "
        "delay; network time as the server timed it, request arrival to last byte sent):"
    )
    worst: float | None = None
    for name, new, old in rows:
        ours, theirs = new.slow_excess_ms(), old.slow_excess_ms()
        if not ours:
            continue
        median = statistics.median(ours)
        worst = median if worst is None else max(worst, median)
        print(f"  {name:<14} ours median {_median_text(ours)};  0.10 median {_median_text(theirs)}")
    return worst


def _median_text(values: list[float]) -> str:
    if not values:
        return "-"
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:6.1f} ms, min {low:6.1f} ms, max {high:6.1f} ms"


def print_targets(by_count: dict[int, tuple[Series, Series]], worst_excess: float | None) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for count in (1, 50):
        if count in by_count:
            new, old = by_count[count]
            ratio = new.cpu / old.cpu
            print(f"target: CPU at {count} rule(s) <= 0.5x: {ratio:.2f} ({verdict(ratio <= 0.5)})")
    for label, low, high in _per_rule_spans(by_count):
        per_rule = {
            who: (by_count[high][who].cpu - by_count[low][who].cpu) / (high - low) * 1000
            for who in (0, 1)
        }
        print(
            f"target: CPU per extra rule <= 0.8 ms ({label}): ours {per_rule[0]:.2f} ms, "
            f"0.10 {per_rule[1]:.2f} ms ({verdict(per_rule[0] <= 0.8)})"
        )
    if 50 in by_count:
        new, old = by_count[50]
        ratio = new.wall / old.wall
        print(f"target: wall at 50 rules <= 0.25x: {ratio:.2f} ({verdict(ratio <= 0.25)})")
    if worst_excess is not None:
        print(
            f"target: reported durations within 2 ms of network time: worst median "
            f"{worst_excess:.1f} ms ({verdict(worst_excess <= 2.0)})"
        )


#: The smallest count whose rules use every check type of the mix (and its CEL rule).
FULL_MIX = 10


def _per_rule_spans(by_count: dict[int, Any]) -> list[tuple[str, int, int]]:
    """The count spans the CPU per extra rule is measured over.

    From :data:`FULL_MIX` rules on, both ends load the same check modules and the CEL
    engine, so the difference is what rules cost; from 1 rule (a single http check), it
    also holds the one-time imports of the other check types and of cel-python.
    """
    counts = sorted(by_count)
    spans = []
    full = [c for c in counts if c >= FULL_MIX]
    if len(full) >= 2:
        low, high = full[0], full[-1]
        spans.append((f"{low} -> {high} rules, every check type in both", low, high))
    if counts[0] < FULL_MIX and len(counts) >= 2:
        low, high = counts[0], counts[-1]
        spans.append((f"{low} -> {high} rules, imports included", low, high))
    return spans


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (medians)")
    parser.add_argument("--counts", default="1,10,50,200", help="rule counts to run")
    args = parser.parse_args()
    counts = sorted({int(c) for c in args.counts.split(",")})
    ensure_old_cli()
    compile_new_cli()
    rows: list[tuple[str, Series, Series]] = []
    by_count: dict[int, tuple[Series, Series]] = {}
    with ExitStack() as stack:
        targets = start_targets(stack)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for count in counts:
            config = {"assertions": [{"name": "bench", "rules": rules(count, targets)}]}
            path = tmp / f"rules-{count}.json"
            path.write_text(json.dumps(config))
            new, old = compare(
                [str(NEW_CLI), "run", "--config", str(path)],
                [str(OLD_CLI), "run", "--config", str(path)],
                args.repeat,
                targets.web,
            )
            by_count[count] = (new, old)
            rows.append((f"run {count} rules", new, old))
        version = compare([str(NEW_CLI), "--version"], [str(OLD_CLI), "--version"], args.repeat)
        rows.append(("--version", *version))
        dns = targets.dns is not None

    print(f"repeats: {args.repeat}; DNS rules: {'yes' if dns else 'no (replaced by HTTP)'}")
    print_table(rows)
    worst = print_durations(rows)
    print_targets(by_count, worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
