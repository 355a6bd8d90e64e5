"""netchecks-operator: NetworkAssertions become probe CronJobs and Jobs, with truthful status."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netchecks-operator")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
