#!/usr/bin/env python3
"""Benchmark: what each image would carry, and how fast the probe starts from it.

    .venv/bin/python -m bench.images [--repeat N]

Builds the wheels and each image's venv exactly as ``docker/*.Dockerfile`` do (see
``tools/images.py``: repository wheels plus their declared dependencies, pip
removed, bytecode compiled), then prints the installed size of each venv and the probe's
cold start from its venv: ``netchecks --version`` and one real TCP check against a local
listener, each a fresh process (median and max wall time over the repeats), with the CEL
parser cache pre-warmed as in the image. Target: the probe venv is the smallest and well
under 100 MB. The venvs are built with this machine's Python (the images use 3.12).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.images import IMAGES, build_wheels, image_venv, size_bytes


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=60)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per start-up figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="netchecks-images-") as tmp:
        root = Path(tmp)
        wheels = build_wheels(root / "wheels")
        venvs = {name: image_venv(image, wheels, root / name) for name, image in IMAGES.items()}
        print(f"{'image':<10} {'venv size':>10}  (Python {sys.version.split()[0]})")
        sizes = {name: size_bytes(path) for name, path in venvs.items()}
        for name, size in sizes.items():
            print(f"{name:<10} {size / 1e6:>7.1f} MB")
        smallest = min(sizes, key=lambda n: sizes[n])
        print(f"smallest: {smallest}; probe under 100 MB: {sizes['probe'] < 100e6}")

        probe = venvs["probe"] / "bin" / "netchecks"
        env = {**os.environ, "NETCHECKS_CACHE_DIR": str(venvs["probe"] / "cache")}
        subprocess.run(
            [
                str(venvs["probe"] / "bin" / "python"),
                "-c",
                "from netchecks_core import cel; cel.evaluate('1 == 1', {})",
            ],
            env=env,
            check=True,
            timeout=60,
        )  # pre-warm, as the image build does
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            port = str(listener.getsockname()[1])
            commands = {
                "netchecks --version": [str(probe), "--version"],
                "netchecks tcp (1 check)": [
                    str(probe),
                    "tcp",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    port,
                ],
            }
            print(f"\nprobe cold start from its venv ({args.repeat} runs each)")
            for label, cmd in commands.items():
                _wall(cmd, env)  # the OS file cache is warm in a running node too
                times = [_wall(cmd, env) for _ in range(args.repeat)]
                print(
                    f"{label:<26} median {statistics.median(times) * 1000:6.0f} ms"
                    f"   max {max(times) * 1000:6.0f} ms"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
