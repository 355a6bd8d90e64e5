"""The GitHub Actions workflow cannot run here: keep it correct by construction.

It must run the README's commands, build the images from Dockerfiles that exist,
install the chart that exists, and point the end-to-end tests at the kind cluster
through the variables ``tests/e2e_cluster.py`` reads.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import e2e_cluster

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yaml"
IMAGES = ("netchecks-probe", "netchecks-operator", "netchecks-results")


def workflow(path: Path = WORKFLOW) -> dict[str, Any]:
    """A workflow file, its trigger under the key ``on``."""
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as true.
    document["on"] = document.pop(True, document.get("on"))
    return document


def runs(job: str) -> list[str]:
    """The shell lines of a job's `run` steps (continuations joined, comments dropped)."""
    lines = []
    for step in workflow()["jobs"][job]["steps"]:
        script = step.get("run", "").replace("\\\n", " ")
        lines += [line.strip() for line in script.splitlines() if line.strip()]
    return [line for line in lines if not line.startswith("#")]


def readme_commands() -> list[str]:
    """The `python3 dev.py ...` commands of the README's shell blocks and text."""
    readme = (ROOT / "README.md").read_text()
    found = re.findall(r"^(python3 dev\.py \w+)", readme, re.M)
    found += re.findall(r"`(python3 dev\.py \w+)`", readme)
    return sorted(set(found))


def test_unit_tests_lint_and_types_run_on_every_push_with_the_readmes_commands() -> None:
    checks = runs("checks")

    assert "push" in workflow()["on"]
    assert {"python3 dev.py test", "python3 dev.py lint"} <= set(readme_commands())
    for command in readme_commands():
        if command.endswith("--keep"):
            continue
        assert command in checks, f"{command} is in the README but not in CI"


def test_every_dev_py_call_is_a_command_dev_py_has() -> None:
    dev = (ROOT / "dev.py").read_text()
    calls = [line for job in workflow()["jobs"] for line in runs(job) if "dev.py" in line]

    assert calls
    for line in calls:
        command = shlex.split(line)[2]
        assert f'command == "{command}"' in dev, line


def test_e2e_job_creates_kind_builds_and_loads_the_three_images_and_installs_the_chart() -> None:
    job = workflow()["jobs"]["e2e"]
    script = "\n".join(runs("e2e"))
    uses = [step.get("uses", "") for step in job["steps"]]

    assert any(u.startswith("helm/kind-action@") for u in uses) or "kind create cluster" in script
    assert job["needs"] == "checks"
    built = {
        "netchecks-" + path.name.removesuffix(".Dockerfile").removeprefix("netchecks-")
        for path in (ROOT / "docker").glob("*.Dockerfile")
    }
    assert built == set(IMAGES), "docker/ must hold one Dockerfile per image"
    assert "for dockerfile in docker/*.Dockerfile; do" in script
    assert 'docker build --file "$dockerfile" --tag "netchecks-${name#netchecks-}' in script
    assert "kind load docker-image" in script
    assert "for image in " + " ".join(IMAGES) + "; do" in script
    install = next(line for line in runs("e2e") if line.startswith("helm install"))
    chart = shlex.split(install)[3]
    assert (ROOT / chart / "Chart.yaml").is_file()


def test_e2e_job_points_the_same_end_to_end_tests_at_the_cluster() -> None:
    script = "\n".join(runs("e2e"))

    for variable in ("NETCHECKS_E2E_KUBECONFIG", "NETCHECKS_E2E_PROBE_IMAGE"):
        assert f"export {variable}=" in script
        assert variable in Path(e2e_cluster.__file__).read_text()
    assert "export NETCHECKS_E2E_TARGET_HOST=" in script
    assert "python3 dev.py test tests/operator tests/results" in script
    for path in ("tests/operator", "tests/results"):
        assert (ROOT / path / "conftest.py").read_text().count("tests.e2e_cluster") == 1


@pytest.mark.parametrize("job", ["checks", "e2e"])
def test_actions_are_pinned_and_jobs_time_out(job: str) -> None:
    spec = workflow()["jobs"][job]

    assert spec["timeout-minutes"] <= 60
    for step in spec["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
