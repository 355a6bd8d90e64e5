"""Requests-per-second benchmark of tools/kubesim, driven through the official client.

Run: .venv/bin/python -m bench.kubesim [--objects 1000] [--watchers 50]
(or .venv/bin/python bench/kubesim.py). Prints get, list, create and watch fan-out figures.
"""

from __future__ import annotations

import os
import sys

# bench/ holds modules named like stdlib ones (operator.py): never import from it directly.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from kubernetes import client, watch  # noqa: E402

from tools.kubesim import KubeSim, Settings  # noqa: E402


def _rate(label: str, count: int, seconds: float, unit: str = "req/s") -> None:
    print(f"{label:<44} {count / seconds:>10.0f} {unit}   ({count} in {seconds:.2f}s)")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with KubeSim(Settings(controllers=False)) as sim, sim.client() as api:
        core = client.CoreV1Api(api)
        ns = "bench"
        core.create_namespace({"metadata": {"name": ns}})
        n = args.objects

        def create() -> None:
            for i in range(n):
                core.create_namespaced_config_map(
                    ns,
                    {
                        "metadata": {"name": f"c{i:05d}", "labels": {"i": str(i % 10)}},
                        "data": {"k": "v" * 64},
                    },
                )

        _rate("create configmap (sequential)", n, timed(create))

        def get() -> None:
            for i in range(n):
                core.read_namespaced_config_map(f"c{i:05d}", ns)

        _rate("get configmap (sequential)", n, timed(get))

        def get_parallel() -> None:
            per = n // args.threads

            def worker(offset: int) -> None:
                with sim.client() as own:
                    mine = client.CoreV1Api(own)
                    for i in range(offset, offset + per):
                        mine.read_namespaced_config_map(f"c{i:05d}", ns)

            threads = [
                threading.Thread(target=worker, args=(t * per,)) for t in range(args.threads)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        _rate(
            f"get configmap ({args.threads} client threads)",
            (n // args.threads) * args.threads,
            timed(get_parallel),
        )
        lists = 20
        _rate(
            f"list {n} configmaps",
            lists,
            timed(lambda: [core.list_namespaced_config_map(ns) for _ in range(lists)]),
        )
        _rate(
            f"list with labelSelector (1/10 of {n})",
            lists,
            timed(
                lambda: [
                    core.list_namespaced_config_map(ns, label_selector="i=3") for _ in range(lists)
                ]
            ),
        )

        events = 200
        start_rv = core.list_namespaced_config_map(ns, limit=1).metadata.resource_version
        ready = threading.Barrier(args.watchers + 1)
        done = threading.Barrier(args.watchers + 1, timeout=120)

        def watcher() -> None:
            with sim.client() as own:
                mine = client.CoreV1Api(own)
                w = watch.Watch()
                ready.wait()
                stream = w.stream(
                    mine.list_namespaced_config_map,
                    ns,
                    resource_version=start_rv,
                    label_selector="fan=out",
                    timeout_seconds=120,
                )
                for seen, _ in enumerate(stream, start=1):
                    if seen == events:
                        w.stop()
            done.wait()

        threads = [threading.Thread(target=watcher, daemon=True) for _ in range(args.watchers)]
        for t in threads:
            t.start()
        ready.wait()
        while sim.open_watches < args.watchers:
            time.sleep(0.01)
        begin = time.perf_counter()
        for i in range(events):
            core.create_namespaced_config_map(
                ns, {"metadata": {"name": f"fan{i}", "labels": {"fan": "out"}}}
            )
        done.wait()
        elapsed = time.perf_counter() - begin
        _rate(
            f"watch fan-out: {events} creates x {args.watchers} watchers",
            events * args.watchers,
            elapsed,
            "events/s",
        )


if __name__ == "__main__":
    main()
