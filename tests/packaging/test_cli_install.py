"""``pip install netchecks-probe`` as a CI job does it: our wheels (core and probe) and
their dependencies from PyPI in a clean venv, then the ``netchecks`` command from there,
away from the repository's sources, on the examples and a loopback site."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tools.images import PACKAGES
from tools.junit import junit_counts
from tools.targets.static_site import StaticSite

# The first test builds the wheels and a venv with pip: minutes on a cold cache.
pytestmark = pytest.mark.timeout(900)

ROOT = PACKAGES.parent
EXAMPLES = ROOT / "examples"
PROBE_CONFIGS = ("http-api.json", "tls.yaml", "dns.yaml", "tcp.yaml", "contexts.yaml")


def netchecks(venv: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "netchecks"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def source_files(package: str) -> set[str]:
    """Paths (inside the wheel) of every file of a package's source tree."""
    src = PACKAGES / package / "src"
    return {
        path.relative_to(src).as_posix()
        for path in src.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("package", ["netchecks-core", "netchecks-probe"])
def test_wheel_carries_every_source_file_with_py_typed(
    package: str, wheels: dict[str, Path]
) -> None:
    with zipfile.ZipFile(wheels[package]) as wheel:
        names = set(wheel.namelist())

    files = source_files(package)
    assert f"{package.replace('-', '_')}/py.typed" in files
    assert files <= names, sorted(files - names)


def test_probe_wheel_declares_its_scripts_and_core_with_the_cel_extra(
    wheels: dict[str, Path],
) -> None:
    with zipfile.ZipFile(wheels["netchecks-probe"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt")))

    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert "netchecks-core[cel]==0.1.0" in requires
    assert "netchecks = netchecks_probe.cli:main" in entry_points.decode()


def test_installed_cli_answers_version_from_the_venv_not_the_sources(
    cli_venv: Path, tmp_path: Path
) -> None:
    version = netchecks(cli_venv, "--version", cwd=tmp_path)
    where = subprocess.run(
        [
            str(cli_venv / "bin" / "python"),
            "-c",
            "import netchecks_probe; print(netchecks_probe.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert (version.returncode, version.stdout.strip()) == (0, "netchecks 0.1.0")
    assert Path(where.stdout.strip()).is_relative_to(cli_venv)
    schema = netchecks(cli_venv, "schema", "config", cwd=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert "assertions" in json.loads(schema.stdout)["properties"]


def test_installed_cli_validates_every_example(cli_venv: Path, tmp_path: Path) -> None:
    manifests = netchecks(
        cli_venv, "validate", "-f", EXAMPLES / "manifests", "-f", EXAMPLES / "ci", cwd=tmp_path
    )
    # One run per config: each has its own `targets` context.
    configs = [
        netchecks(cli_venv, "validate", "-c", EXAMPLES / "probe" / name, cwd=EXAMPLES / "probe")
        for name in PROBE_CONFIGS
    ]

    assert manifests.returncode == 0, manifests.stdout + manifests.stderr
    assert "smoke.yaml: valid (2 rule(s))" in manifests.stdout
    for done in configs:
        assert done.returncode == 0, done.stdout + done.stderr


def run_ci_example(cli_venv: Path, base_url: str, work: Path) -> tuple[int, str, Path]:
    """``netchecks run`` of examples/ci/smoke.yaml with ``site.base_url`` = ``base_url``."""
    site = work / "site"
    site.mkdir()
    (site / "base_url").write_text(base_url)
    report = work / "report.xml"
    done = netchecks(
        cli_venv,
        "run",
        "-f",
        EXAMPLES / "ci" / "smoke.yaml",
        "--context-dir",
        f"site={site}",
        "-o",
        "table",
        "--junit-xml",
        report,
        cwd=work,
    )
    return done.returncode, done.stdout + done.stderr, report


def test_installed_cli_runs_the_ci_example_against_a_loopback_site(
    cli_venv: Path, tmp_path: Path
) -> None:
    with StaticSite(EXAMPLES / "ci" / "www") as site:
        code, output, report = run_ci_example(cli_venv, site.base_url, tmp_path)

    assert code == 0, output
    assert "home-page-answers" in output and "missing-page-is-not-found" in output
    assert junit_counts(report) == (2, 0, 0)


def test_installed_cli_fails_the_run_when_the_site_is_down(cli_venv: Path, tmp_path: Path) -> None:
    with StaticSite(EXAMPLES / "ci" / "www") as site:
        base_url = site.base_url  # stopped on leaving: the port now refuses

    code, output, report = run_ci_example(cli_venv, base_url, tmp_path)

    assert code == 1, output
    tests, failures, errors = junit_counts(report)
    assert (tests, failures + errors) == (2, 2)
