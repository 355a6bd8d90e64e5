"""The probe's version, read from the installed distribution's metadata."""

from __future__ import annotations

from importlib import metadata


def probe_version() -> str:
    """The installed ``netchecks-probe`` version (``unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("netchecks-probe")
    except metadata.PackageNotFoundError:
        return "unknown"
