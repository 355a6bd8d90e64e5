"""``netchecks schema``: the JSON Schemas editors and CI use accept every example and
refuse wrong documents at the path of the mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIGS = sorted(
    p
    for p in (EXAMPLES / "probe").iterdir()
    if p.suffix in (".json", ".yaml") and "assertions" in (yaml.safe_load(p.read_text()) or {})
)
MANIFESTS = sorted((EXAMPLES / "manifests").glob("*.yaml"))


@cache
def schema(document: str) -> dict[str, Any]:
    """What ``netchecks schema DOCUMENT`` prints."""
    done = subprocess.run(
        [sys.executable, "-m", "netchecks_probe", "schema", document],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed: dict[str, Any] = json.loads(done.stdout)
    return printed


def errors(document: str, instance: Any) -> list[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(schema(document))
    return list(validator.iter_errors(instance))


def best_error(document: str, instance: Any) -> jsonschema.ValidationError:
    error: jsonschema.ValidationError | None = jsonschema.exceptions.best_match(
        errors(document, instance)
    )
    assert error is not None, "the document was accepted"
    return error


@pytest.mark.parametrize("document", ["config", "output", "assertion"])
def test_each_schema_is_a_valid_2020_12_schema(document: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(document))


def test_examples_are_found() -> None:
    assert len(CONFIGS) >= 5
    assert len(MANIFESTS) >= 5


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_example_probe_config_validates(path: Path) -> None:
    assert errors("config", yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_example_manifest_validates(path: Path) -> None:
    assert errors("assertion", yaml.safe_load(path.read_text())) == []


def tcp_config(**rule: Any) -> dict[str, Any]:
    return {"assertions": [{"name": "a", "rules": [{"name": "r", "type": "tcp", **rule}]}]}


def test_templated_numbers_and_booleans_are_accepted() -> None:
    config = tcp_config(host="{{ db.host }}", port="{{ db.port }}", timeout="{{ db.timeout }}")
    http = {"name": "h", "type": "http", "url": "https://x", "verify-tls-cert": "{{ c.verify }}"}
    config["assertions"][0]["rules"].append(http)

    assert errors("config", config) == []


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        ({"host": "db", "port": "eighty"}, ["port"], "eighty"),
        ({"host": "db", "port": 70000}, ["port"], "70000"),
        ({"host": "db", "port": 5432, "validaton": "true"}, [], "validaton"),
        ({"port": 5432}, [], "host"),
        ({"host": "db", "port": 1, "expected": "maybe"}, ["expected"], "maybe"),
    ],
)
def test_wrong_rules_are_refused_at_the_path_of_the_mistake(
    rule: dict[str, Any], path: list[str], words: str
) -> None:
    error = best_error("config", tcp_config(**rule))

    assert list(error.absolute_path) == ["assertions", 0, "rules", 0, *path]
    assert words in error.message


def test_an_unknown_rule_type_is_refused_at_its_type() -> None:
    error = best_error("config", {"assertions": [{"name": "a", "rules": [{"type": "ftp"}]}]})

    assert list(error.absolute_path) == ["assertions", 0, "rules", 0, "type"]
    assert "ftp" in error.message


def test_a_wrong_manifest_is_refused_at_the_path_of_the_mistake() -> None:
    manifest = yaml.safe_load((EXAMPLES / "manifests" / "dns.yaml").read_text())
    manifest["spec"]["rules"][0]["record-type"] = 5
    manifest["spec"]["schedul"] = "@hourly"

    found = {tuple(e.absolute_path): e.message for e in errors("assertion", manifest)}

    assert ("spec",) in found and "schedul" in found[("spec",)]
    assert ("spec", "rules", 0, "record-type") in found


def test_a_manifest_of_another_kind_is_refused() -> None:
    manifest = yaml.safe_load((EXAMPLES / "manifests" / "dns.yaml").read_text())
    manifest["kind"] = "NetworkPolicy"

    error = best_error("assertion", manifest)

    assert list(error.absolute_path) == ["kind"]
