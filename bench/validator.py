#!/usr/bin/env python3
"""Benchmark: what the one validator costs ``netchecks run``, and ``validate`` over a corpus.

    .venv/bin/python -m bench.validator [--repeat N]

``netchecks run`` now checks every rule (fields, CEL, templates, data keys)
before it runs any. For probe configs of 1 and 50 rules (internal rules with
CEL, and 50 templated http rules against a closed local port), it times, each
in a fresh process, the command as users run it against a baseline that runs
the same config through the runner without the validator (what ``run`` did
before), and prints median wall and CPU time and the ratio. Then it times
``netchecks validate -f`` over the invalid-manifest corpus (51 files, one
process). No target is set; the figures are for the record.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.targets.tcp import ClosedPort

ROOT = Path(__file__).resolve().parent.parent
NETCHECKS = Path(sys.executable).parent / "netchecks"
CORPUS = ROOT / "packages/netchecks-core/tests/invalid_manifests"

#: The runner alone, as ``netchecks run --config`` ran before the validator.
BASELINE = """
import json, sys
from netchecks_core.probe_config import ProbeConfig
from netchecks_probe.runner import RunOptions, run_config
config = ProbeConfig.model_validate(json.load(open(sys.argv[1])))
run_config(config, RunOptions()).model_dump_json()
"""


def configs(work: Path, port: int) -> dict[str, Path]:
    """Probe configs to time, by label."""
    contexts = [{"name": "cfg", "type": "inline", "data": {"x": 1, "port": port}}]
    shapes = {
        "1 internal rule": [{"name": "r", "type": "internal", "validation": "cfg.x == 1"}],
        "50 internal rules": [
            {"name": f"r{i}", "type": "internal", "validation": f"cfg.x == 1 || {i} > 0"}
            for i in range(50)
        ],
        "50 http rules, closed port": [
            {
                "name": f"h{i}",
                "type": "http",
                "url": "http://127.0.0.1:{{ cfg.port }}/" + str(i),
                "expected": "fail",
                "validation": "data['status-code'] == 200",
            }
            for i in range(50)
        ],
    }
    paths: dict[str, Any] = {}
    for label, rules in shapes.items():
        path = work / f"{len(paths)}.json"
        path.write_text(
            json.dumps({"contexts": contexts, "assertions": [{"name": "a", "rules": rules}]})
        )
        paths[label] = path
    return paths


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(command: list[str], repeat: int) -> tuple[float, float]:
    runs = [timed(command) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    print(
        f"{'config':<28} {'run wall':>9} {'cpu':>6} {'baseline wall':>14} {'cpu':>6} {'ratio':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-validator-") as tmp, ClosedPort() as closed:
        for label, path in configs(Path(tmp), closed.port).items():
            wall, cpu = median_of([str(NETCHECKS), "run", "-c", str(path)], args.repeat)
            base_wall, base_cpu = median_of(
                [sys.executable, "-c", BASELINE, str(path)], args.repeat
            )
            print(
                f"{label:<28} {wall:>8.3f}s {cpu:>5.2f}s {base_wall:>13.3f}s {base_cpu:>5.2f}s "
                f"{wall / base_wall:>6.2f}"
            )
    files = sorted(CORPUS.glob("*.yaml"))
    wall, cpu = median_of([str(NETCHECKS), "validate", "-f", str(CORPUS)], args.repeat)
    print(f"validate -f corpus ({len(files)} files): wall {wall:.3f}s, cpu {cpu:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
