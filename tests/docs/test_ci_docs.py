"""docs/ci.md stays true: its commands parse with the CLI, the action's inputs table is
action.yml's, and its pipelines (GitHub job, GitLab job, shell) run in the layout they
describe (``deploy/`` and ``ci/site/``) against a local site, with the development
venv's ``netchecks`` standing in for the installed one."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_probe.cli import build_parser

from tests.docs.markdown import DOCS, CodeBlock, code_names, page
from tools.actions_runner import Runner, action, step_named
from tools.junit import junit_counts
from tools.targets.static_site import StaticSite
from tools.targets.tcp import ClosedPort

ROOT = DOCS.parent
EXAMPLES_CI = ROOT / "examples" / "ci"
#: Where the development venv's console scripts are (``netchecks``).
DEV_BIN = str(Path(sys.executable).parent)


def ci_blocks(section: str, language: str) -> list[CodeBlock]:
    blocks = page("ci.md").blocks_in(section, language)
    assert blocks, f"docs/ci.md has no {language} block under {section!r}"
    return blocks


def shell_lines(text: str) -> list[list[str]]:
    """The commands of a shell block, continuations joined, comments dropped."""
    joined = text.replace("\\\n", " ")
    return [w for line in joined.splitlines() if (w := shlex.split(line, comments=True))]


def netchecks_argv(words: list[str]) -> list[str] | None:
    """The arguments given to ``netchecks`` in a command (``pipx run ... netchecks ...``)."""
    return words[words.index("netchecks") + 1 :] if "netchecks" in words else None


def gitlab_job() -> dict[str, Any]:
    (block,) = ci_blocks("GitLab CI", "yaml")
    (job,) = yaml.safe_load(block.text).values()
    assert isinstance(job, dict)
    return job


def github_job() -> dict[str, Any]:
    (block,) = ci_blocks("GitHub Actions", "yaml")
    document = yaml.safe_load(block.text)
    (job,) = document["jobs"].values()
    assert isinstance(job, dict)
    return job


def every_documented_command() -> list[list[str]]:
    commands = [
        words
        for block in page("ci.md").blocks
        if block.language == "sh"
        for words in shell_lines(block.text)
    ]
    return commands + [shlex.split(line) for line in gitlab_job()["script"]]


def test_every_netchecks_command_parses_with_the_cli() -> None:
    argvs = [a for words in every_documented_command() if (a := netchecks_argv(words))]

    assert len(argvs) >= 6
    for argv in argvs:
        if argv != ["--version"]:
            build_parser().parse_args(argv)  # exits (fails the test) on a wrong flag


def test_install_commands_name_the_probe_distribution_and_its_script() -> None:
    project = tomllib.loads((ROOT / "packages/netchecks-probe/pyproject.toml").read_text())
    name = project["project"]["name"]
    text = " ".join(" ".join(words) for words in every_documented_command())

    assert "netchecks" in project["project"]["scripts"]
    assert f"pip install {name}" in text
    assert f"pipx run --spec {name} netchecks" in text
    assert f"uvx --from {name} netchecks" in text


def test_action_inputs_table_is_the_actions_inputs() -> None:
    (table,) = page("ci.md").tables_in("GitHub Actions")
    documented = {code_names(row[0])[0]: "".join(code_names(row[1])) for row in table.rows}

    inputs = action()["inputs"]
    assert documented == {name: str(spec.get("default", "")) for name, spec in inputs.items()}


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``deploy/`` with the CI example and ``ci/site/`` for its context, as ci.md says."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(EXAMPLES_CI / "smoke.yaml", tmp_path / "deploy" / "smoke.yaml")
    (tmp_path / "ci" / "site").mkdir(parents=True)
    return tmp_path


def run_script(lines: list[str], layout: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    (layout / "ci" / "site" / "base_url").write_text(base_url)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(lines)],
        cwd=layout,
        env={**os.environ, "PATH": DEV_BIN + os.pathsep + os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.timeout(120)
def test_shell_pipeline_passes_fails_and_stops_on_a_wrong_manifest(layout: Path) -> None:
    (block,) = ci_blocks("A plain shell pipeline", "sh")
    lines = block.text.splitlines()
    report = layout / "netchecks-junit.xml"

    with StaticSite(EXAMPLES_CI / "www") as site:
        passed = run_script(lines, layout, site.base_url)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert junit_counts(report) == (2, 0, 0)

    with ClosedPort() as closed:
        failed = run_script(lines, layout, f"http://127.0.0.1:{closed.port}")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert junit_counts(report)[0] == 2 and sum(junit_counts(report)[1:]) == 2

    report.unlink()
    (layout / "deploy" / "broken.yaml").write_text("kind: NetworkAssertion\nspec: {}\n")
    stopped = run_script(lines, layout, "http://127.0.0.1:9")
    assert stopped.returncode == 2, stopped.stdout + stopped.stderr
    assert not report.exists()


@pytest.mark.timeout(120)
def test_gitlab_job_runs_its_netchecks_lines_and_reports_the_junit_it_writes(
    layout: Path,
) -> None:
    job = gitlab_job()
    script = job["script"]
    runs = [line for line in script if line.startswith("netchecks ")]

    assert [line for line in script if line not in runs] == ["pip install netchecks-probe"]
    assert job["artifacts"]["when"] == "always"
    junit = job["artifacts"]["reports"]["junit"]
    assert f"--junit-xml {junit}" in runs[-1]
    with StaticSite(EXAMPLES_CI / "www") as site:
        done = run_script(runs, layout, site.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert junit_counts(layout / junit) == (2, 0, 0)


@pytest.mark.timeout(120)
def test_github_job_runs_the_actions_step_with_its_inputs_and_uploads_the_report(
    layout: Path, tmp_path: Path
) -> None:
    steps = github_job()["steps"]
    (uses,) = [s for s in steps if s.get("uses", "").startswith("OWNER/netchecks@")]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    inputs = {k: str(v) for k, v in uses["with"].items()}

    assert set(inputs) <= set(action()["inputs"])
    assert upload["with"]["path"] == f"${{{{ steps.{uses['id']}.outputs.junit-xml }}}}"
    runner = Runner(tmp_path / "runner", inputs, workspace=layout)
    runner.path.insert(0, DEV_BIN)  # the probe the install step would have put on PATH
    with StaticSite(EXAMPLES_CI / "www") as site:
        (layout / "ci" / "site" / "base_url").write_text(site.base_url)
        done = runner.run_step(step_named("Run netchecks"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert junit_counts(layout / runner.outputs["junit-xml"]) == (2, 0, 0)
