"""Benchmark log parsing on hostile logs: CPU and wall time against same-run baselines.

    .venv/bin/python -m bench.results_parse [--megabytes 7]

Each crafted log (``tools.builders.hostile_log``: shapes that made the
old search quadratic, ~95 s of CPU for 7 MB) is parsed once; the baselines are
``json.loads`` of a clean output document of the same size and ``parse_log`` of a
clean log (noise lines, then the document). Target: every hostile log under 1 s CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial

from netchecks_results.parse import parse_log

from tools.builders import HOSTILE_LOGS, hostile_log, output_document, rule_result


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """CPU and wall seconds of one call, and what it returned."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def clean_document(size: int) -> str:
    """A valid output document of about ``size`` characters (one big data field)."""
    return output_document({"a": rule_result("pass", data={"body": "x" * size})})


def outcome(result: object) -> str:
    return str(getattr(result, "reason", type(result).__name__))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=7.0)
    args = parser.parse_args()
    size = int(args.megabytes * 1024 * 1024)
    document = clean_document(size)
    noise = ("diagnostic " + "x" * 89 + "\n") * (size // 100)
    rows = [
        ("baseline: json.loads(clean document)", *timed(lambda: json.loads(document))),
        ("baseline: parse_log(clean document)", *timed(lambda: parse_log(document))),
        ("baseline: parse_log(noise + document)", *timed(lambda: parse_log(noise + document))),
    ]
    base_cpu = rows[0][1]
    for kind in HOSTILE_LOGS:
        text = hostile_log(kind, size)
        rows.append((f"hostile: {kind}", *timed(partial(parse_log, text))))
    print(f"log size {size / 1e6:.1f} MB; target: every hostile log under 1 s CPU")
    print(f"{'log':44} {'cpu s':>7} {'wall s':>7} {'cpu/json':>9}  outcome")
    for name, cpu, wall, result in rows:
        ratio = cpu / base_cpu if base_cpu else float("inf")
        print(f"{name:44} {cpu:7.3f} {wall:7.3f} {ratio:8.1f}x  {outcome(result)}")
    worst = max(cpu for name, cpu, _w, _r in rows if name.startswith("hostile"))
    print(f"worst hostile log: {worst:.3f} s CPU ({'within' if worst < 1 else 'OVER'} target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
