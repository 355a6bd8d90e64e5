"""Pytest set-up shared by every test in the repository.

Fixture modules live next to what they serve; list them here so that any
test, in any package, can use them.

Tiers: tests under :data:`E2E_PATHS` start the services as processes against
kubesim, build wheels or run the demo; they carry the ``e2e`` marker, so the
fast loop is ``pytest -m "not e2e"`` (docs/development.md).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
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
    # They run the CLI, kubectl, helm, promtool or kubesim's probe Pods as processes.
    "tests/kubectl/",
    "tests/test_schemas.py",
    "packages/netchecks-core/tests/test_import_weight.py",
    "packages/netchecks-probe/tests/no_false_pass/test_no_false_pass.py",
    "packages/netchecks-probe/tests/reports/test_github.py",
    "packages/netchecks-probe/tests/reports/test_junit.py",
    "packages/netchecks-probe/tests/reports/test_locations.py",
    "packages/netchecks-probe/tests/test_cli_compat_010.py",
    "packages/netchecks-probe/tests/test_compat.py",
    "packages/netchecks-probe/tests/test_hostile_cel.py",
    "packages/netchecks-probe/tests/test_hostile_inputs.py",
    "packages/netchecks-probe/tests/test_many_manifests.py",
    "packages/netchecks-probe/tests/test_probe_cli.py",
    "packages/netchecks-probe/tests/test_progress.py",
    "packages/netchecks-probe/tests/test_secret_corpus.py",
    "packages/netchecks-probe/tests/test_verdict_cli.py",
    "packages/netchecks-results/tests/test_cli.py",
    "tests/docs/test_ci_docs.py",
    "tests/docs/test_library.py",
    "tests/kubesim/test_cronjobs.py",
    "tests/kubesim/test_helm.py",
    "tests/kubesim/test_jobs.py",
    "tests/kubesim/test_kubelet.py",
    "tests/kubesim/test_logrotate.py",
    "tests/kubesim/test_nodes.py",
    "tests/kubesim/test_oom.py",
    "tests/kubesim/test_serve.py",
    "tests/service/test_results_burst.py",
    "tests/service/test_results_controller.py",
    "tests/service/test_scheduled_runs.py",
    "tests/test_ci_action.py",
    "tests/test_examples.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end tier by where its tests live (single tests carry the marker)."""
    for item in items:
        where = Path(str(item.path)).resolve()
        relative = where.relative_to(ROOT).as_posix() if where.is_relative_to(ROOT) else ""
        if relative.startswith(E2E_PATHS):
            item.add_marker(pytest.mark.e2e)


# -- the fast loop starts no process ---------------------------------------------------------

#: Audit events of starting another program (os.fork too: multiprocessing, daemons).
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec"})
_started: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    # The test's own thread only: a background thread of an earlier test (kubesim's
    # kubelet starting a Pod late) must not blame the test that happens to run then.
    if event in _PROCESS_EVENTS and threading.current_thread() is threading.main_thread():
        _started.append(event)


sys.addaudithook(_audit)  # hooks cannot be removed: it only records, checked per test below


@pytest.fixture(autouse=True)
def _fast_tests_start_no_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the fast loop, fail a test that starts a process: the loop stays fast.

    Only when the run leaves the e2e tier out: in a whole run, probe Pods of kubesim's
    kubelet (started by e2e tests) may start while a later test runs.
    """
    _started.clear()
    yield
    fast_loop = "not e2e" in str(request.config.getoption("markexpr", ""))
    if fast_loop and _started and request.node.get_closest_marker("e2e") is None:
        pytest.fail(
            f"{request.node.nodeid} started a process ({_started[0]}) but is not in the e2e "
            "tier: mark it @pytest.mark.e2e, or list its module in conftest.E2E_PATHS",
            pytrace=False,
        )
