"""The GitHub Action (action.yml) and the workflow that uses it on examples/.

GitHub cannot run here, so the action's `run:` steps run as bash scripts the way the
runner runs a composite action: inputs substituted into each step's `env:`, the
`GITHUB_PATH` and `GITHUB_OUTPUT` files honoured, `actions/setup-python` stood in for
by this machine's Python. With a stub `netchecks` that records its arguments, every
use of the action in the workflow must give arguments the real CLI parser accepts;
the slow test installs the probe with the action's own install step and runs it
against a loopback site.
"""

from __future__ import annotations

import argparse
import glob
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_probe.cli import build_parser
from netchecks_probe.reports.options import FORMATS

from tests.test_ci_workflow import workflow
from tools.actions_runner import Runner, action, action_steps, recorded_argv, step_named
from tools.junit import junit_counts
from tools.targets.static_site import StaticSite

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_WORKFLOW = ROOT / ".github" / "workflows" / "examples.yaml"
PINNED = re.compile(r"[\w.-]+/[\w.-]+@v\d+")


def examples_job() -> dict[str, Any]:
    job: dict[str, Any] = workflow(EXAMPLES_WORKFLOW)["jobs"]["examples"]
    return job


def uses_of_the_action() -> list[dict[str, Any]]:
    """The workflow's steps that use this repository's action (``uses: ./``)."""
    return [step for step in examples_job()["steps"] if step.get("uses") == "./"]


def subcommand(name: str) -> argparse.ArgumentParser:
    """The real parser of ``netchecks <name>``."""
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: argparse.ArgumentParser = commands.choices[name]
    return found


def option_strings(name: str) -> set[str]:
    return {flag for action in subcommand(name)._actions for flag in action.option_strings}


# -- the action ------------------------------------------------------------------------


def test_action_is_composite_sets_up_python_and_pins_what_it_uses() -> None:
    steps = action_steps()

    assert action()["runs"]["using"] == "composite"
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    for step in steps:
        assert "uses" in step or step["shell"] == "bash"
        if "uses" in step:
            assert PINNED.fullmatch(step["uses"]), step["uses"]


def test_inputs_reach_the_scripts_through_env_only() -> None:
    for step in action_steps():
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_format_input_names_the_formats_of_the_cli() -> None:
    inputs = action()["inputs"]
    (output,) = [a for a in subcommand("run")._actions if "--output" in a.option_strings]
    choices = set(output.choices or ())

    assert choices == set(FORMATS)
    assert inputs["format"]["default"] in choices
    described = re.findall(r"\b(\w+)\b", inputs["format"]["description"].split(":", 1)[1])
    assert set(described) - {"or"} == choices


def test_flags_the_action_passes_are_flags_of_the_cli() -> None:
    script = step_named("Run netchecks")["run"]
    passed = {
        token
        for group in re.findall(r"args\+=\(([^)]*)\)", script)
        for token in shlex.split(group)
        if token.startswith("-")
    }

    assert passed == {"-f", "-c", "-o", "--junit-xml"}
    assert passed <= option_strings("run")
    assert {"-f", "-c"} <= option_strings("validate")


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            {"files": "a.yaml\nb dir", "args": "-R --context-dir 'site=x y'"},
            [
                *("run", "-f", "a.yaml", "-f", "b", "-f", "dir", "-o", "github"),
                *("--junit-xml", "netchecks-junit.xml", "-R", "--context-dir", "site=x y"),
            ],
        ),
        (
            {"command": "validate", "configs": "c.json", "junit-xml": "x.xml"},
            ["validate", "-c", "c.json"],
        ),
        (
            {"files": "m.yaml", "format": "table", "junit-xml": "", "args": "$(touch pwned)"},
            ["run", "-f", "m.yaml", "-o", "table", "$(touch", "pwned)"],
        ),
    ],
)
def test_run_step_builds_the_command_line_from_the_inputs(
    inputs: dict[str, str], expected: list[str], tmp_path: Path
) -> None:
    argv = recorded_argv(tmp_path, inputs)

    assert argv == expected
    assert not (tmp_path / "workspace" / "pwned").exists()


def test_run_step_refuses_an_unknown_command(tmp_path: Path) -> None:
    done = Runner(tmp_path, {"command": "apply", "files": "x"}).run_step(
        step_named("Run netchecks")
    )

    assert done.returncode == 2
    assert "::error title=netchecks::command must be run or validate" in done.stdout


STUB_PYTHON = """#!/bin/bash
# `python -m venv DIR` makes DIR/bin with this stub and a `netchecks`; anything else
# (the venv's `python -m pip install ...`) records its arguments.
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
  printf '#!/bin/bash\\necho netchecks 0.1.0\\n' > "$3/bin/netchecks"
  chmod +x "$3/bin/netchecks"
else
  printf '%s\\0' "$@" > "$RECORD"
fi
"""


@pytest.mark.parametrize(
    ("version", "installed"),
    [
        ("0.1.0", ["netchecks-probe==0.1.0"]),
        ("", [f"{ROOT}/packages/netchecks-core[cel]", f"{ROOT}/packages/netchecks-probe"]),
    ],
)
def test_install_step_installs_a_release_by_input_or_the_actions_own_source(
    version: str, installed: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = tmp_path / "stub-bin"
    stub.mkdir()
    (stub / "python").write_text(STUB_PYTHON)
    (stub / "python").chmod(0o755)
    monkeypatch.setenv("RECORD", str(tmp_path / "argv"))
    runner = Runner(tmp_path / "runner", {"probe-version": version})
    runner.path.insert(0, str(stub))

    done = runner.run_step(step_named("Install the netchecks probe"))

    assert done.returncode == 0, done.stderr
    argv = (tmp_path / "argv").read_text().split("\0")[:-1]
    assert argv == ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", *installed]
    venv_bin = tmp_path / "runner" / "temp" / "netchecks-probe" / "bin"
    assert runner.path[0] == str(venv_bin)


# -- the workflow that uses it -----------------------------------------------------------


def test_workflow_uses_the_action_with_inputs_it_has_and_arguments_the_cli_parses(
    tmp_path: Path,
) -> None:
    uses = uses_of_the_action()

    assert uses
    for index, step in enumerate(uses):
        inputs = {k: str(v) for k, v in step["with"].items()}
        assert set(inputs) <= set(action()["inputs"]), step["name"]
        for listed in (inputs.get("files", ""), inputs.get("configs", "")):
            for pattern in listed.split():
                assert glob.glob(pattern, root_dir=ROOT), f"{step['name']}: no {pattern}"
        work = tmp_path / str(index)
        work.mkdir()
        argv = recorded_argv(work, inputs)
        build_parser().parse_args(argv)  # exits (fails the test) on an unknown flag


def probe_configs() -> set[str]:
    """The example probe configs (``examples/probe`` also holds files they read)."""
    found = set()
    for path in (ROOT / "examples" / "probe").iterdir():
        document = yaml.safe_load(path.read_text()) if path.is_file() else None
        if isinstance(document, dict) and "assertions" in document:
            found.add(path.relative_to(ROOT).as_posix())
    return found


def test_workflow_validates_every_example_and_runs_the_ci_example() -> None:
    steps = examples_job()["steps"]
    validated = [
        path
        for step in uses_of_the_action()
        if step["with"].get("command") == "validate"
        for path in step["with"]["files"].split()
    ]
    loop = next(s["run"] for s in steps if "netchecks validate -c" in s.get("run", ""))
    (run,) = [s for s in uses_of_the_action() if s["with"].get("command", "run") == "run"]

    listed = re.search(r'configs="([^"]*)"', loop)
    assert set(validated) == {"examples/manifests", "examples/ci"}
    assert listed and set(listed.group(1).split()) == probe_configs()
    assert run["with"]["files"] == "examples/ci/smoke.yaml"
    assert run["with"]["args"] == "--context-dir site=examples/ci/site"


def test_workflow_serves_the_site_the_ci_example_checks() -> None:
    serve = next(s["run"] for s in examples_job()["steps"] if "http.server" in s.get("run", ""))
    base_url = (ROOT / "examples" / "ci" / "site" / "base_url").read_text()
    port = base_url.rsplit(":", 1)[1]

    assert base_url == f"http://127.0.0.1:{port}"
    assert f"-m http.server {port} --bind 127.0.0.1 --directory examples/ci/www" in serve
    assert f"{base_url}/" in serve


def test_workflow_uploads_the_junit_report_the_action_writes() -> None:
    steps = examples_job()["steps"]
    (run,) = [s for s in uses_of_the_action() if s["with"].get("command", "run") == "run"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]

    assert run["with"]["junit-xml"]
    assert upload["with"]["path"] == f"${{{{ steps.{run['id']}.outputs.junit-xml }}}}"
    assert upload["if"] in ("${{ !cancelled() }}", "${{ always() }}")
    assert action()["outputs"]["junit-xml"]["value"] == ("${{ steps.netchecks.outputs.junit-xml }}")
    assert step_named("Run netchecks")["id"] == "netchecks"


def test_workflow_pins_its_actions_and_times_out() -> None:
    job = examples_job()

    assert "push" in workflow(EXAMPLES_WORKFLOW)["on"]
    assert job["timeout-minutes"] <= 30
    for step in job["steps"]:
        if step.get("uses", "./") != "./":
            assert PINNED.fullmatch(step["uses"]), step["uses"]


# -- the action's steps, for real ----------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_action_installs_the_probe_from_source_and_runs_the_ci_example(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    inputs = {
        "files": str(ROOT / "examples" / "ci" / "smoke.yaml"),
        "format": "table",
        "args": f"--context-dir site={site_dir}",
    }
    runner = Runner(tmp_path, inputs)
    install, run = step_named("Install the netchecks probe"), step_named("Run netchecks")

    installed = runner.run_step(install, timeout=540)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout.strip() == "netchecks 0.1.0"
    with StaticSite(ROOT / "examples" / "ci" / "www") as site:
        (site_dir / "base_url").write_text(site.base_url)
        passed = runner.run_step(run)
    report = tmp_path / "workspace" / runner.outputs["junit-xml"]
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 pass, 0 fail, 0 error" in passed.stdout
    assert junit_counts(report) == (2, 0, 0)

    failed = runner.run_step(run)  # the site is down now

    assert failed.returncode == 1, failed.stdout + failed.stderr
    tests, failures, errors = junit_counts(report)
    assert (tests, failures + errors) == (2, 2)
