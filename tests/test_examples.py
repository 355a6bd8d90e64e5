"""The examples are what users copy: every one must be valid as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_core.assertion import API_VERSION, KIND, NetworkAssertion
from netchecks_core.probe_config import ProbeConfig
from netchecks_probe.validate import validate_config, validate_manifest

from demo.__main__ import CONFIGS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MANIFESTS = sorted((EXAMPLES / "manifests").glob("*.yaml"))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())  # JSON is YAML too


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_a_valid_network_assertion(path: Path) -> None:
    document = load(path)

    assertion = NetworkAssertion.model_validate(document)
    report = validate_manifest(document)

    assert (document["apiVersion"], document["kind"]) == (API_VERSION, KIND)
    assert assertion.spec.rules
    assert report.problems == []
    assert report.warnings == []


@pytest.mark.parametrize("name", CONFIGS)
def test_probe_config_is_valid(name: str) -> None:
    document = load(EXAMPLES / "probe" / name)

    ProbeConfig.model_validate(document)
    report = validate_config(document)

    assert report.problems == []
    assert report.warnings == []
    assert report.rules > 0


def test_every_probe_config_is_part_of_the_demo() -> None:
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
