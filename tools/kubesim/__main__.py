"""``python -m tools.kubesim serve --kubeconfig PATH [--port N]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from .settings import Settings
from .sim import KubeSim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.kubesim")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run kubesim in the foreground")
    serve.add_argument(
        "--kubeconfig",
        type=Path,
        required=True,
        help="where to write the kubeconfig once the server is ready",
    )
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: random)")
    serve.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with KubeSim(Settings(port=args.port)) as sim:
        sim.write_kubeconfig(args.kubeconfig)
        sim.kubelet.kubeconfig = args.kubeconfig
        logging.getLogger("kubesim").info(
            "kubesim serving on %s; kubeconfig %s", sim.url, args.kubeconfig
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
