"""``netchecks-operator``: run the operator until SIGTERM."""

from __future__ import annotations

import sys

from netchecks_service.runtime import parse_command_line

from netchecks_operator import __version__
from netchecks_operator.app import run


def main(argv: list[str] | None = None) -> int:
    """Console script entry point."""
    parse_command_line(
        "netchecks-operator",
        __version__,
        "Turn NetworkAssertions into probe CronJobs and Jobs; keep their status current.",
        argv,
    )
    return run()


if __name__ == "__main__":
    sys.exit(main())
