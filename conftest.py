"""Pytest set-up shared by every test in the repository.

Fixture modules live next to what they serve; list them here so that any
test, in any package, can use them.

Tiers: tests under :data:`E2E_PATHS` start the services as processes against
kubesim, build wheels or run the demo; they carry the ``e2e`` marker, so the
fast loop is ``pytest -m "not e2e"`` (docs/development.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins: list[str] = [
    "tools.targets.postgres_fixtures",
    "tools.targets.network_fixtures",
]

ROOT = Path(__file__).resolve().parent

#: Paths (relative to the repository root) of the end-to-end tier.
E2E_PATHS: tuple[str, ...] = (
    "tests/operator/",
    "tests/results/",
    "tests/observability/",
    "tests/packaging/",
    "tests/chart/test_rbac_e2e.py",
    "tests/chart/test_admission_policy_e2e.py",
    "tests/docs/test_metrics_table.py",
    "tests/test_demo.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end tier by where its tests live."""
    for item in items:
        where = Path(str(item.path)).resolve()
        relative = where.relative_to(ROOT).as_posix() if where.is_relative_to(ROOT) else ""
        if relative.startswith(E2E_PATHS):
            item.add_marker(pytest.mark.e2e)
