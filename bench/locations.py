#!/usr/bin/env python3
"""Benchmark: what locating rules (file and line, for CI reports) costs reading inputs.

    .venv/bin/python -m bench.locations [--repeat N]

Reads, in this process, a multi-document YAML file of 200 NetworkAssertions (5
rules each) and a JSON probe config of 1000 rules, and prints median wall and CPU
time against a baseline measured in the same run:

- YAML: ``load_documents`` (values, nodes kept for the rule lines) against the
  values alone (``load_yaml_all``, what reading did before);
- JSON: ``load_documents`` with ``lines_of_json`` (the extra YAML compose pass that a
  located report asks for) against without it.

No target is set; the figures are for the record.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netchecks_core.limits import load_yaml_all
from netchecks_probe.inputs import load_documents


def _manifests(count: int) -> str:
    rules = "".join(
        f"    - name: rule-{i}\n      type: http\n      url: http://127.0.0.1:9/{i}\n"
        for i in range(5)
    )
    document = (
        "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\n"
        "metadata: {{name: a{n}, namespace: team-{n}}}\nspec:\n  rules:\n" + rules
    )
    return "---\n".join(document.format(n=n) for n in range(count))


def _config(count: int) -> str:
    rules = [{"name": f"r{i}", "type": "internal", "validation": "true"} for i in range(count)]
    return json.dumps({"assertions": [{"name": "a", "rules": rules}]}, indent=2)


def _time(action: Callable[[], Any], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _row(name: str, measured: tuple[float, float], baseline: tuple[float, float]) -> None:
    wall, cpu = measured
    ratio = cpu / baseline[1] if baseline[1] else float("nan")
    print(f"{name:<40} wall {wall * 1000:8.1f} ms  cpu {cpu * 1000:8.1f} ms  x{ratio:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as work:
        yaml_file = Path(work) / "deploy.yaml"
        yaml_file.write_text(_manifests(200))
        json_file = Path(work) / "config.json"
        json_file.write_text(_config(1000))

        yaml_text = yaml_file.read_text()
        baseline = _time(lambda: load_yaml_all(yaml_text), repeat)
        _row("YAML 200 docs: values only (baseline)", baseline, baseline)
        located = _time(lambda: load_documents([str(yaml_file)]), repeat)
        _row("YAML 200 docs: values and rule lines", located, baseline)

        baseline = _time(lambda: load_documents([str(json_file)]), repeat)
        _row("JSON 1000 rules: no lines (baseline)", baseline, baseline)
        located = _time(lambda: load_documents([str(json_file)], lines_of_json=True), repeat)
        _row("JSON 1000 rules: with lines", located, baseline)


if __name__ == "__main__":
    main()
