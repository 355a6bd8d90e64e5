"""JSON Schemas of the probe's file formats and of NetworkAssertion manifests, for editors
and CI (``netchecks schema``).

They describe documents as users write them, before the probe renders templates: a
rule field that is not plain text (a port, a timeout, a flag, a choice) also accepts
a ``{{ template }}`` string, as the probe does. A rule is matched to its type's
fields with ``if``/``then`` on ``type``, so a mistake is reported at its own path.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from netchecks_core.assertion import NetworkAssertion
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.rules import RULE_MODELS, RULE_TYPE_DESCRIPTION, RULE_TYPES, Rule

Schema = dict[str, Any]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: A string holding a template: the probe renders it before the rule is judged.
TEMPLATE: Schema = {
    "type": "string",
    "pattern": r"\{\{[\s\S]*\}\}",
    "description": "A `{{ expression }}` template of the contexts, rendered by the probe "
    "before the rule runs; one whole template takes the type of its value.",
}

#: Rule fields that are never templated: the discriminator and the result's name.
_LITERAL_RULE_FIELDS = ("type", "name")


def probe_config_schema() -> Schema:
    """The probe config, with each rule described by its type's schema."""
    schema = ProbeConfig.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    defs.update(rule_definitions())
    defs["AssertionConfig"]["properties"]["rules"]["items"] = {"$ref": "#/$defs/Rule"}
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "netchecks probe config"}


def assertion_schema() -> Schema:
    """A ``NetworkAssertion`` manifest (what ``kubectl apply`` takes), for editors."""
    schema = NetworkAssertion.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    defs.update(rule_definitions())
    defs["NetworkAssertionSpec"]["properties"]["rules"]["items"] = {"$ref": "#/$defs/Rule"}
    schema["required"] = sorted({"apiVersion", "kind", *schema.get("required", [])})
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "netchecks NetworkAssertion"}


def probe_output_schema() -> Schema:
    """The probe output document."""
    schema = ProbeOutput.model_json_schema(by_alias=True)
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "netchecks probe output"}


def rule_definitions() -> dict[str, Schema]:
    """``$defs`` for rules: ``Rule`` (any type), each type's model and ``Template``."""
    generated = TypeAdapter(Rule).json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs: dict[str, Schema] = copy.deepcopy(generated.get("$defs", {}))
    rule_models = {model.__name__ for model in RULE_MODELS.values()}
    for name, definition in defs.items():
        literal = _LITERAL_RULE_FIELDS if name in rule_models else ()
        for field, prop in (definition.get("properties") or {}).items():
            if field not in literal:
                definition["properties"][field] = _templated(prop)
    defs["Template"] = TEMPLATE
    defs["Rule"] = _any_rule()
    return defs


def _any_rule() -> Schema:
    """One rule: ``type`` picks the model its fields are checked against."""
    return {
        "description": "One check; its fields are those of its `type`.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": list(RULE_TYPES), "description": RULE_TYPE_DESCRIPTION}},
        "allOf": [
            {
                "if": {"properties": {"type": {"const": rule_type}}, "required": ["type"]},
                "then": {"$ref": f"#/$defs/{model.__name__}"},
            }
            for rule_type, model in RULE_MODELS.items()
        ],
    }


def _templated(prop: Schema) -> Schema:
    """A field's schema that also admits a template, unless any text already fits."""
    if _is_plain_text(prop):
        return prop
    template = {"$ref": "#/$defs/Template"}
    if "anyOf" in prop:
        return {**prop, "anyOf": [*prop["anyOf"], template]}
    outer: Schema = {key: prop[key] for key in ("description", "title", "default") if key in prop}
    inner: Schema = {key: value for key, value in prop.items() if key not in outer}
    return {**outer, "anyOf": [inner, template]}


def _is_plain_text(prop: Schema) -> bool:
    variants = prop.get("anyOf", [prop])
    return any(
        v.get("type") == "string" and not {"enum", "const", "pattern"} & v.keys() for v in variants
    )
