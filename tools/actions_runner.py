"""The repository's GitHub Action (``action.yml``) run without GitHub.

A composite action's `run:` steps run here as the runner runs them: ``bash --noprofile
--norc -eo pipefail``, the step's `env:` with its ``${{ ... }}`` expressions substituted
(inputs or their defaults, ``github.action_path``, ``runner.temp``), `GITHUB_PATH` and
`GITHUB_OUTPUT` honoured between steps, and this machine's Python standing in for
``actions/setup-python``. The development venv is left off `PATH`, so a `netchecks`
found there is one a step installed (or one a test put there on purpose).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def action() -> dict[str, Any]:
    """``action.yml``, parsed."""
    document: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return document


def action_steps() -> list[dict[str, Any]]:
    """The composite action's steps."""
    steps: list[dict[str, Any]] = action()["runs"]["steps"]
    return steps


def step_named(name: str) -> dict[str, Any]:
    """The action's step called ``name``."""
    (step,) = [s for s in action_steps() if s.get("name") == name]
    return step


@dataclass
class Runner:
    """Runs the action's `run:` steps as the GitHub runner does, in ``work``."""

    work: Path
    inputs: Mapping[str, str]
    #: The job's checkout, where the steps run (``work/workspace`` when not given).
    workspace: Path | None = None
    path: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        if self.workspace is None:
            self.workspace = self.work / "workspace"
            self.workspace.mkdir()
        (self.work / "temp").mkdir()
        bin_dir = self.work / "python-bin"  # actions/setup-python's `python`
        bin_dir.mkdir()
        (bin_dir / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
        self.path = [str(bin_dir)]

    def expression(self, match: re.Match[str]) -> str:
        """The value of one ``${{ name }}`` the action uses."""
        name = match.group(1)
        defaults = {k: str(v.get("default", "")) for k, v in action()["inputs"].items()}
        known = {
            **{f"inputs.{k}": self.inputs.get(k, v) for k, v in defaults.items()},
            "github.action_path": str(ROOT),
            "runner.temp": str(self.work / "temp"),
        }
        assert name in known, f"the action uses ${{{{ {name} }}}}, which this runner lacks"
        return known[name]

    def run_step(
        self, step: dict[str, Any], timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run one `run:` step; returns the completed process."""
        assert step["shell"] == "bash" and "${{" not in step["run"], step.get("name")
        github_path, github_output = self.work / "GITHUB_PATH", self.work / "GITHUB_OUTPUT"
        github_path.touch()
        github_output.write_text("")
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env |= {k: EXPRESSION.sub(self.expression, str(v)) for k, v in step["env"].items()}
        system_path = [p for p in env["PATH"].split(os.pathsep) if ".venv" not in p]
        env |= {
            "PATH": os.pathsep.join([*self.path, *system_path]),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(github_output),
            "RUNNER_TEMP": str(self.work / "temp"),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.path = github_path.read_text().split()[::-1] + self.path
        for line in github_output.read_text().splitlines():
            key, _, value = line.partition("=")
            self.outputs[key] = value
        return done


def recorded_argv(tmp_path: Path, inputs: Mapping[str, str]) -> list[str]:
    """The arguments the action's run step gives `netchecks` for ``inputs`` (a stub
    `netchecks` records them; nothing runs)."""
    stub = tmp_path / "stub-bin"
    stub.mkdir()
    record = tmp_path / "argv"
    (stub / "netchecks").write_text(f"#!/bin/bash\nprintf '%s\\0' \"$@\" > {record}\n")
    (stub / "netchecks").chmod(0o755)
    runner = Runner(tmp_path, inputs)
    runner.path.insert(0, str(stub))
    done = runner.run_step(step_named("Run netchecks"))
    assert done.returncode == 0, done.stderr
    return record.read_text().split("\0")[:-1]
