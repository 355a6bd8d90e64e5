"""The examples are what users copy: every one must be valid as it stands.

The probe configs also run, with the real CLI, against the local targets (their
``targets`` context pointed at them), to the results they are meant to have.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_core.assertion import API_VERSION, KIND, NetworkAssertion
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.validation import validate_config, validate_manifest

from tools.targets.local import LocalTargets

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MANIFESTS = sorted((EXAMPLES / "manifests").glob("*.yaml")) + sorted(
    (EXAMPLES / "ci").glob("*.yaml")
)
CONFIGS = ("http-api.json", "tls.yaml", "dns.yaml", "tcp.yaml", "contexts.yaml")
#: (config, rule) -> status, for rules whose point is to fail; every other rule must pass.
EXPECTED_STATUS = {("tls.yaml", "certificate-expiry"): "fail"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())  # JSON is YAML too


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_a_valid_network_assertion(path: Path) -> None:
    document = load(path)

    assertion = NetworkAssertion.model_validate(document)
    report = validate_manifest(document)

    assert (document["apiVersion"], document["kind"]) == (API_VERSION, KIND)
    assert assertion.spec.rules
    assert report.messages() == []


@pytest.mark.parametrize("name", CONFIGS)
def test_probe_config_is_valid(name: str) -> None:
    document = load(EXAMPLES / "probe" / name)

    ProbeConfig.model_validate(document)
    report = validate_config(document)

    assert report.messages() == []
    assert report.rules > 0


def test_every_probe_config_is_run_by_these_tests() -> None:
    configs = {
        p.name
        for p in (EXAMPLES / "probe").iterdir()
        if p.suffix in (".json", ".yaml") and "assertions" in (load(p) or {})
    }

    assert configs == set(CONFIGS)


def test_manifests_include_a_scheduled_one_and_one_job_per_change() -> None:
    schedules = [load(path)["spec"].get("schedule") for path in MANIFESTS]

    assert any(schedules)
    assert not all(schedules)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", CONFIGS)
def test_probe_config_runs_to_its_expected_results_against_local_targets(
    name: str, local_targets: LocalTargets, tmp_path: Path
) -> None:
    document = load(EXAMPLES / "probe" / name)
    for context in document.get("contexts", []):
        if context.get("name") == "targets":
            context["data"] = {**(context.get("data") or {}), **local_targets.context()}
    config = tmp_path / "config.json"
    config.write_text(json.dumps(document))

    completed = subprocess.run(
        [sys.executable, "-m", "netchecks_probe", "run", "--config", str(config)],
        cwd=EXAMPLES / "probe",  # file and directory contexts are relative to the examples
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )

    output = json.loads(completed.stdout.splitlines()[-1])
    statuses = {r["name"]: r["status"] for a in output["assertions"] for r in a["results"]}
    expected = {rule: EXPECTED_STATUS.get((name, rule), "pass") for rule in statuses}
    assert statuses == expected, completed.stdout
    assert completed.returncode == (0 if set(expected.values()) == {"pass"} else 1)
