"""``netchecks-operator``: run the operator until SIGTERM."""

from __future__ import annotations

import sys

from netchecks_operator.app import run


def main() -> int:
    """Console script entry point."""
    return run()


if __name__ == "__main__":
    sys.exit(main())
