"""The NetworkAssertion CRD generated from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from netchecks_core.cel import compile_expression
from netchecks_core.crd import crd, crd_yaml
from netchecks_core.rules import RULE_MODELS

CHART_CRDS = Path(__file__).resolve().parents[3] / "charts/netchecks/files/crds"
COMMITTED = CHART_CRDS / "netchecks.io_networkassertions.yaml"


def _nodes(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    for name, child in (node.get("properties") or {}).items():
        found += _nodes(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        found += _nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        found += _nodes(node["additionalProperties"], f"{path}{{}}")
    return found


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_committed_crd_is_what_the_models_generate() -> None:
    assert COMMITTED.read_text() == crd_yaml(), (
        "the chart's NetworkAssertion CRD is stale: run `python -m netchecks_core.crd > "
        "charts/netchecks/files/crds/netchecks.io_networkassertions.yaml`"
    )


@pytest.mark.parametrize("version", ["1.28.0", "1.37.0"])
def test_crd_validates_against_kubernetes_schemas(version: str) -> None:
    kubernetes_validate.validate(crd(), version, strict=True)


def test_schema_is_structural_every_node_typed_and_no_forbidden_keys() -> None:
    forbidden = {
        "$ref",
        "definitions",
        "oneOf",
        "allOf",
        "not",
        "default",
        "additionalItems",
        "uniqueItems",
        "patternProperties",
        "discriminator",
        "title",
        "const",
    }
    for path, node in _nodes(_schema()):
        typed = (
            "type" in node
            or node.get("x-kubernetes-int-or-string")
            or node.get("x-kubernetes-preserve-unknown-fields")
        )
        assert typed, f"{path or '(root)'} has no type"
        assert not forbidden & node.keys(), f"{path}: {forbidden & node.keys()}"
        assert not ("properties" in node and "additionalProperties" in node), path


def test_rules_declare_every_field_of_every_type_and_no_other() -> None:
    spec = _schema()["properties"]["spec"]
    assert "x-kubernetes-preserve-unknown-fields" not in spec
    rule = spec["properties"]["rules"]["items"]
    assert "x-kubernetes-preserve-unknown-fields" not in rule
    declared = set(rule["properties"])
    for model in RULE_MODELS.values():
        assert {f.alias or n for n, f in model.model_fields.items()} <= declared
    assert "validaton" not in declared
    assert rule["properties"]["host"]["type"] == "string"
    assert rule["properties"]["port"]["x-kubernetes-int-or-string"] is True
    # a template may stand for a boolean; CEL cannot run on a node without a type
    verify = rule["properties"]["verify-tls-cert"]
    assert {k: v for k, v in verify.items() if k != "description"} == {
        "x-kubernetes-preserve-unknown-fields": True
    }


def test_every_cel_validation_compiles() -> None:
    rules = [
        v["rule"] for _, node in _nodes(_schema()) for v in node.get("x-kubernetes-validations", [])
    ]
    assert len(rules) >= 8
    for rule in rules:
        compile_expression(rule)


def test_crd_names_columns_and_status_subresource_follow_compat() -> None:
    spec = crd()["spec"]
    version = spec["versions"][0]
    assert spec["names"]["shortNames"] == ["nas"]
    assert version["subresources"] == {"status": {}}
    columns = version["additionalPrinterColumns"]
    narrow = [c["name"] for c in columns if not c.get("priority")]
    wide = [c["name"] for c in columns if c.get("priority")]
    assert narrow == ["Ready", "Passing", "Pass", "Fail", "Error", "Last Run", "Schedule", "Age"]
    assert wide == ["Reason", "Status", "Failing Nodes"]  # 0.10's with Schedule, Ready
    ready = next(c for c in columns if c["name"] == "Ready")
    assert ready["jsonPath"] == '.status.conditions[?(@.type=="Ready")].status'
    assert yaml.safe_load(COMMITTED.read_text())["metadata"]["name"] == (
        "networkassertions.netchecks.io"
    )


def test_cel_rules_sit_only_on_typed_nodes() -> None:
    for path, node in _nodes(_schema()):
        if node.get("x-kubernetes-validations"):
            assert "type" in node or node.get("x-kubernetes-int-or-string"), path
