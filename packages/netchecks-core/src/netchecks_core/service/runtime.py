"""Process life: the command line (``--help``, ``--version``) and a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger(__name__)


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT (call from the main thread).

    A second signal while stopping exits at once, for a stuck shutdown.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            raise SystemExit(1)
        log.info("%s received: shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def parse_command_line(
    prog: str, version: str, description: str, argv: Sequence[str] | None = None
) -> None:
    """Answer ``--help`` and ``--version`` (and exit); refuse any other argument.

    The services are configured by their environment only; the command line exists
    so an image can be checked (``netchecks-operator --version``) without a cluster.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Configured by environment variables (NETCHECKS_*): see the package README.",
    )
    parser.add_argument("--version", action="version", version=f"{prog} {version}")
    parser.parse_args(argv)
