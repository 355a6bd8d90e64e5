"""Every field users write or read carries a description, from the models (one source)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from netchecks_core.crd import crd
from netchecks_core.rules import (
    RULE_MODELS,
    GrantRule,
    ObjectSelector,
    RoleSelector,
    RuleBase,
)
from netchecks_core.schema import assertion_schema, probe_config_schema
from pydantic import BaseModel

Node = dict[str, Any]


def crd_properties(node: Node, path: str = "") -> Iterator[tuple[str, Node]]:
    """Every named field of a structural schema, with its path (``spec.rules[].host``)."""
    for name, child in (node.get("properties") or {}).items():
        yield f"{path}.{name}".lstrip("."), child
        yield from crd_properties(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from crd_properties(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from crd_properties(node["additionalProperties"], f"{path}{{}}")


def json_schema_properties(schema: Node) -> Iterator[tuple[str, Node]]:
    """Every property of a JSON Schema and of its ``$defs``, named ``Def.property``."""
    for name, node in [("(root)", schema), *(schema.get("$defs") or {}).items()]:
        yield from _json_properties(node, name)


def _json_properties(node: Node, path: str) -> Iterator[tuple[str, Node]]:
    for name, child in (node.get("properties") or {}).items():
        yield f"{path}.{name}", child
        yield from _json_properties(child, f"{path}.{name}")
    for key, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(node.get(key), dict):
            yield from _json_properties(node[key], path + suffix)
    for variant in node.get("anyOf") or node.get("oneOf") or []:
        yield from _json_properties(variant, path)


def _open_api_schema() -> Node:
    schema: Node = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_every_crd_field_has_a_description() -> None:
    fields = dict(crd_properties(_open_api_schema()))
    missing = sorted(path for path, node in fields.items() if not node.get("description"))

    assert len(fields) > 60
    assert missing == []


@pytest.mark.parametrize("schema", [probe_config_schema, assertion_schema])
def test_every_json_schema_property_has_a_description(schema: Any) -> None:
    properties = list(json_schema_properties(schema()))
    missing = sorted({path for path, node in properties if not node.get("description")})

    assert len(properties) > 40
    assert missing == []


def test_rule_fields_shared_by_types_say_what_each_type_makes_of_them() -> None:
    rule = _open_api_schema()["properties"]["spec"]["properties"]["rules"]["items"]

    port = rule["properties"]["port"]["description"]
    dsn = rule["properties"]["dsn"]["description"]

    assert port.startswith("[dns] ") and " [tcp] " in port
    assert dsn.startswith("[postgres, postgres-grants] ")
    assert not rule["properties"]["timeout"]["description"].startswith("[")


def test_the_timeout_description_gives_each_type_s_default() -> None:
    description = RuleBase.model_fields["timeout"].description or ""
    defaults = dict(re.findall(r"([a-z-]+) (\d+)[,.]", description.split("Default")[1]))

    assert defaults == {
        rule_type: f"{model.DEFAULT_TIMEOUT:g}" for rule_type, model in RULE_MODELS.items()
    }


def test_descriptions_are_one_line_of_prose() -> None:
    for path, node in crd_properties(_open_api_schema()):
        text = node["description"]
        assert "\n" not in text, path
        assert text[0].isupper() or text[0] in "`[", (path, text)
        assert text.endswith((".", ")")), (path, text)


@pytest.mark.parametrize(
    "model",
    [*RULE_MODELS.values(), GrantRule, RoleSelector, ObjectSelector],
    ids=lambda m: m.__name__,
)
def test_a_rule_field_says_it_is_required_exactly_when_it_is(model: type[BaseModel]) -> None:
    """The CRD can only mark ``name`` and ``type`` required (the rest depends on the
    type), so the words say it, for ``kubectl explain`` and the docs alike."""
    for name, info in model.model_fields.items():
        if name == "type" and issubclass(model, RuleBase):
            continue  # the discriminator: required by the CRD and every schema
        says_required = (info.description or "").startswith("Required.")
        assert says_required == info.is_required(), f"{model.__name__}.{name}"
