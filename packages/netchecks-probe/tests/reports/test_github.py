"""``-o github``: workflow commands a runner cannot be tricked by, and the step summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from netchecks_probe.reports.github import escape_data, escape_property

from .test_junit import CONFIG  # type: ignore[import-not-found]  # a sibling test module

NETCHECKS = Path(sys.executable).parent / "netchecks"


def _run_github(config: Path, cwd: Path, summary: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    command = [str(NETCHECKS), "run", "--config", str(config), "-o", "github"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, cwd=cwd, env=env
    )


def test_escaping_follows_the_runner_rules() -> None:
    assert escape_data("100%\r\n::warning::x") == "100%25%0D%0A::warning::x"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_each_rule_not_passing_is_one_error_command(write_json, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = _run_github(write_json(CONFIG), tmp_path, summary)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 pass, 1 fail, 1 error"
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 2
    # The config is one line of JSON in the working directory: every rule is on line 1.
    assert errors[0].startswith("::error file=config.json,line=1,title=mixed/broken%3A fail::")
    assert errors[1].startswith("::error file=config.json,line=1,title=mixed/unjudged%3A error::")
    assert all("\n" not in e and "\r" not in e for e in errors)
    text = summary.read_text()
    assert text.startswith("earlier step\n### netchecks\n")
    assert "| mixed | unjudged | ERROR |" in text
    assert "| fine | t | PASS |  |" in text


def test_without_the_summary_variable_nothing_is_written(write_json, tmp_path: Path) -> None:
    config = write_json(CONFIG)
    work = tmp_path / "work"
    work.mkdir()
    done = _run_github(config, work, None)
    assert done.returncode == 1
    assert list(work.iterdir()) == []
