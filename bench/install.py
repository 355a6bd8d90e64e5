#!/usr/bin/env python3
"""Benchmark: installing the probe for a CI job, and how fast the installed CLI starts.

    .venv/bin/python -m bench.install [--repeat N]

Does what ``pip install netchecks-probe`` does in a pipeline, from this repository:
builds the wheels of netchecks-core and netchecks-probe, installs them with their
dependencies (from PyPI, through pip's cache when warm) into a clean venv (see
``tools/images.py``: ``CLI_INSTALL``), then prints the build and install wall times,
the installed size (the venv with pip removed, and the share of netchecks' own
packages), and the cold start of the installed ``netchecks``: ``--version`` and
``validate`` of ``examples/ci/smoke.yaml``, each a fresh process (median wall and CPU
over the repeats) beside a fresh ``python -c pass`` of the same venv as the baseline.
The docs (docs/ci.md) quote these figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.validator import median_of
from tools.images import CLI_INSTALL, ROOT, build_wheels, image_venv, size_bytes

MIB = 1024 * 1024


def own_packages_bytes(venv: Path) -> int:
    """Size of netchecks-core and netchecks-probe in the venv (the rest is dependencies)."""
    (site,) = (venv / "lib").glob("python*/site-packages")
    return sum(size_bytes(site / name) for name in ("netchecks_core", "netchecks_probe"))


def build_and_install(root: Path) -> Path:
    """Build the wheels and install them into a clean venv, printing the wall times."""
    started = time.perf_counter()
    wheels = build_wheels(root / "wheels", CLI_INSTALL.packages)
    built = time.perf_counter()
    venv = image_venv(CLI_INSTALL, wheels, root / "venv")
    installed = time.perf_counter()
    print(f"build wheels (core, probe)     {built - started:7.1f} s wall")
    print(f"install into a clean venv      {installed - built:7.1f} s wall")
    print(f"build + install                {installed - started:7.1f} s wall")
    return venv


def print_cold_starts(venv: Path, repeat: int) -> None:
    """Median wall and CPU of fresh processes: the CLI and the bare interpreter."""
    cli = str(venv / "bin" / "netchecks")
    commands = {
        "python -c pass (baseline)": [str(venv / "bin" / "python"), "-c", "pass"],
        "netchecks --version": [cli, "--version"],
        "netchecks validate (2 rules)": [
            cli,
            "validate",
            "-f",
            str(ROOT / "examples/ci/smoke.yaml"),
        ],
    }
    print(f"\ncold start from the venv ({repeat} runs each, median)")
    print(f"{'command':<30} {'wall':>8} {'cpu':>8} {'cpu / baseline':>15}")
    baseline_cpu = 0.0
    for label, command in commands.items():
        median_of(command, 1)  # the OS file cache is warm on a runner after the install too
        wall, cpu = median_of(command, repeat)
        baseline_cpu = baseline_cpu or cpu
        ratio = cpu / baseline_cpu if baseline_cpu else float("nan")
        print(f"{label:<30} {wall * 1000:6.0f} ms {cpu * 1000:6.0f} ms {ratio:14.1f}x")


def main(argv: list[str]) -> int:
    """Build, install, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per start-up figure")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="netchecks-install-") as tmp:
        root = Path(tmp)
        venv = build_and_install(root)
        print(f"venv size (pip removed)        {size_bytes(venv) / MIB:7.1f} MiB")
        print(f"of which netchecks core+probe  {own_packages_bytes(venv) / MIB:7.1f} MiB")
        print_cold_starts(venv, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
