"""The probe's version: the one place it is written (the package's metadata reads it).

Reading it back from the installed metadata (``importlib.metadata``) would cost every
probe run 15-20 ms of CPU, a tenth of a one-rule run.
"""

from __future__ import annotations

__version__ = "0.1.0"


def probe_version() -> str:
    """The ``netchecks-probe`` version."""
    return __version__
