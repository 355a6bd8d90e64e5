"""The NetworkAssertion CustomResourceDefinition, generated from the core models.

``python -m netchecks_core.crd > charts/netchecks/files/crds/netchecks.io_networkassertions.yaml``
writes it (a test checks the committed copy is current).

The schema is structural (every node typed) and as strict as admission can be
without refusing manifests that work today:

- each rule item is typed with the merged fields of every rule type (kebab-case);
  integer fields accept a string too (``"{{ ctx.port }}"`` is rendered by the
  probe), number fields accept any scalar. No other field is declared, so
  Kubernetes' strict field validation (``kubectl apply``'s default) refuses a
  misspelt ``validaton:`` with its path, and without it the field is pruned;
  the validator (:mod:`netchecks_core.validation`) says which fields each type has;
- CEL ``x-kubernetes-validations`` check what a schema cannot: context
  names unique, exactly one source per context, each type's required fields.
  Rule names may repeat, as in 0.10 (results are told apart by number).
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

from netchecks_core.assertion import (
    CONTEXT_NAME_PATTERN,
    GROUP,
    KIND,
    PLURAL,
    SHORT_NAMES,
    SINGULAR,
    VERSION,
    AssertionContext,
    ConfigMapContextSource,
    NetworkAssertion,
    NetworkAssertionSpec,
    NetworkAssertionStatus,
    Placement,
)
from netchecks_core.probe_config import RESERVED_CONTEXT_NAMES
from netchecks_core.rules import RULE_ADAPTER, RULE_TYPES, RuleBase

Schema = dict[str, Any]

#: Bounds that keep CEL rules cheap enough for the API server's cost budget.
MAX_RULES = 100
MAX_CONTEXTS = 32
MAX_NAME = 253

#: Rule fields whose values are judged by their own logic, not typed in the CRD.
_RULE_COMMON = ("name", "type", "expected", "validation", "validate", "timeout")


def _resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = {
            **defs[schema["$ref"].rsplit("/", 1)[-1]],
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    return schema


def _untyped(description: str | None = None) -> Schema:
    node: Schema = {"x-kubernetes-preserve-unknown-fields": True}
    if description:
        node["description"] = _text(description)
    return node


def structural(schema: Schema, defs: dict[str, Schema], *, templated: bool = False) -> Schema:
    """A Kubernetes structural schema node from a pydantic JSON Schema node.

    With ``templated``, integers, numbers and booleans also admit a template
    string, which stands in for them until the probe renders it.
    """
    schema = _resolve(schema, defs)
    description = schema.get("description")
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        kept = [_resolve(v, defs) for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            only = structural(kept[0], defs, templated=templated)
            only["nullable"] = True
            if description:  # the field's own words, not its type's docstring
                only["description"] = _text(description)
            return only
        return _untyped(description)
    node = _typed_node(schema, defs, templated=templated)
    if node is None:
        return _untyped(description)
    if description:
        node["description"] = _text(description)
    return node


def _text(description: str) -> str:
    """A description as one line of Markdown (docstrings' reST ````code```` made `code`)."""
    return " ".join(description.split()).replace("``", "`")


def _typed_node(schema: Schema, defs: dict[str, Schema], *, templated: bool) -> Schema | None:
    """The node of a typed schema (no description yet), or None for an untyped one."""
    kind = schema.get("type")
    if "const" in schema:
        return {"type": "string", "enum": [schema["const"]]}
    if templated and kind in ("integer", "number", "boolean"):
        return _templated_scalar(kind)
    if kind in ("string", "integer", "number", "boolean"):
        return _scalar(schema, kind)
    if kind == "array":
        items = schema.get("items")
        node: Schema = {
            "type": "array",
            "items": structural(items, defs, templated=templated) if items else _untyped(),
        }
        return _copy_keys(node, schema, ("minItems", "maxItems"))
    if kind == "object":
        return _object(schema, defs, templated=templated)
    return None


def _copy_keys(node: Schema, schema: Schema, keys: tuple[str, ...]) -> Schema:
    for key in keys:
        if key in schema and not isinstance(schema[key], bool):
            node[key] = schema[key]
    return node


#: The bounds each scalar type keeps.
_SCALAR_KEYS = {
    "string": ("minLength", "maxLength", "pattern", "format"),
    "integer": ("minimum", "maximum"),
    "number": ("minimum", "maximum", "exclusiveMinimum"),
    "boolean": (),
}


def _scalar(schema: Schema, kind: str) -> Schema:
    node: Schema = {"type": kind}
    if kind == "string" and "enum" in schema:
        node["enum"] = list(schema["enum"])
    return _copy_keys(node, schema, _SCALAR_KEYS[kind])


def _object(schema: Schema, defs: dict[str, Schema], *, templated: bool) -> Schema:
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    node: Schema = {"type": "object"}
    if properties:
        node["properties"] = {
            name: structural(prop, defs, templated=templated) for name, prop in properties.items()
        }
        required = [r for r in schema.get("required", []) if r in properties]
        if required:
            node["required"] = required
    elif isinstance(extra, dict) and extra:
        node["additionalProperties"] = structural(extra, defs, templated=templated)
    else:
        node["x-kubernetes-preserve-unknown-fields"] = True
    return node


def _templated_scalar(kind: str) -> Schema:
    """A scalar field that may hold a ``{{ template }}`` string instead of its value.

    Structural schemas have no "boolean or string" (types are not allowed inside
    ``anyOf``), and the API server runs no CEL on a node without a type: integers
    are int-or-string, numbers and booleans are left untyped. The validator (and
    so the operator) judges their values.
    """
    if kind == "integer":
        return {"x-kubernetes-int-or-string": True}
    return {"x-kubernetes-preserve-unknown-fields": True}


def _rule_variants() -> list[tuple[str, Schema, dict[str, Schema]]]:
    schema = RULE_ADAPTER.json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    variants = []
    for ref in schema.get("oneOf") or schema.get("anyOf") or []:
        model = _resolve(ref, defs)
        rule_type = model["properties"]["type"].get("const")
        if rule_type is None:
            rule_type = model["properties"]["type"]["enum"][0]
        variants.append((rule_type, model, defs))
    return variants


def _same_shape(a: Schema, b: Schema) -> bool:
    def shape(node: Schema) -> Any:
        return (
            node.get("type"),
            node.get("x-kubernetes-int-or-string"),
            shape(node["items"]) if "items" in node else None,
        )

    return bool(shape(a) == shape(b))


def rule_schema() -> Schema:
    """One rule: the merged, typed fields of every rule type, plus CEL checks per type."""
    properties: dict[str, Schema] = {}
    conflicting: set[str] = set()
    checks: list[Schema] = []
    descriptions: dict[str, dict[str, str]] = {}
    for rule_type, model, defs in _rule_variants():
        for name, prop in model.get("properties", {}).items():
            if name == "type":
                continue
            node = structural(prop, defs, templated=True)
            descriptions.setdefault(name, {})[rule_type] = node.pop("description")
            if name in properties and not _same_shape(properties[name], node):
                conflicting.add(name)
            properties.setdefault(name, node)
        required = [r for r in model.get("required", []) if r not in _RULE_COMMON]
        if required:
            has_all = " && ".join(f"has(self.{_cel_field(r)})" for r in required)
            checks.append(
                {
                    "rule": f"self.type != '{rule_type}' || ({has_all})",
                    "message": f"a {rule_type} rule needs {', '.join(required)}",
                }
            )
    for name in conflicting:
        properties[name] = _untyped()
    for name, by_type in descriptions.items():
        properties[name]["description"] = _merged_description(by_type)
    properties["type"] = {"type": "string", "enum": list(RULE_TYPES)}
    properties["name"] = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
    properties["expected"] = {
        "type": "string",
        "nullable": True,
        "pattern": "^([Pp][Aa][Ss][Ss]|[Ff][Aa][Ii][Ll])$",
    }
    common = RuleBase.model_fields
    for name in ("type", "name", "expected"):
        properties[name]["description"] = common[name].description
    return {
        "type": "object",
        "required": ["name", "type"],
        "properties": dict(sorted(properties.items())),
        "x-kubernetes-validations": checks,
    }


def _merged_description(by_type: dict[str, str]) -> str:
    """One field's description in the merged rule: per type where the types differ.

    A field every type has is described once; a field of some types names them
    (``[dns, tcp] ...``), with one sentence per meaning.
    """
    if set(by_type) == set(RULE_TYPES) and len(set(by_type.values())) == 1:
        return next(iter(by_type.values()))
    grouped: dict[str, list[str]] = {}
    for rule_type, text in by_type.items():
        grouped.setdefault(text, []).append(rule_type)
    return " ".join(f"[{', '.join(types)}] {text}" for text, types in grouped.items())


def _cel_field(name: str) -> str:
    # CEL escapes '-' in field names as '__dash__' (Kubernetes CEL property-name escaping).
    return name.replace("_", "__underscores__").replace("-", "__dash__")


def context_schema() -> Schema:
    """One context: a name and exactly one of configMap, secret, inline."""
    source_json = ConfigMapContextSource.model_json_schema()
    source = structural(source_json, source_json.get("$defs", {}))
    reserved = ", ".join(f"'{n}'" for n in sorted(RESERVED_CONTEXT_NAMES))
    return {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 63,
                "pattern": CONTEXT_NAME_PATTERN,
                "description": _described(AssertionContext, "name"),
            },
            "configMap": {**source, "description": _described(AssertionContext, "config_map")},
            "secret": {**source, "description": _described(AssertionContext, "secret")},
            "inline": _untyped(_described(AssertionContext, "inline")),
        },
        "x-kubernetes-validations": [
            {
                "rule": "(has(self.configMap) ? 1 : 0) + (has(self.secret) ? 1 : 0)"
                " + (has(self.inline) ? 1 : 0) == 1",
                "message": "a context needs exactly one of configMap, secret, inline",
            },
            {
                "rule": f"!(self.name in [{reserved}])",
                "message": "context names data and spec are reserved (CEL result variables)",
            },
        ],
    }


def _described(model: type[BaseModel], field: str) -> str:
    """The description of a model's field (the one source of the CRD's and the docs' words)."""
    description = model.model_fields[field].description
    assert description, f"{model.__name__}.{field} has no description"
    return _text(description)


def spec_schema() -> Schema:
    """``spec``."""
    return {
        "type": "object",
        "description": _described(NetworkAssertion, "spec"),
        "required": ["rules"],
        "properties": {
            "rules": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_RULES,
                "items": rule_schema(),
                "description": _described(NetworkAssertionSpec, "rules"),
            },
            "schedule": {
                "type": "string",
                "maxLength": 200,
                "description": _described(NetworkAssertionSpec, "schedule"),
            },
            "context": {
                "type": "array",
                "maxItems": MAX_CONTEXTS,
                "items": context_schema(),
                "description": _described(NetworkAssertionSpec, "context"),
            },
            "template": {
                **_untyped(_described(NetworkAssertionSpec, "template")),
                "type": "object",
            },
            "disableRedaction": {
                "type": "boolean",
                "description": _described(NetworkAssertionSpec, "disable_redaction"),
            },
            "placement": {
                **_model_schema(Placement),
                "description": _described(NetworkAssertionSpec, "placement"),
            },
        },
        "x-kubernetes-validations": [
            {
                "rule": "!has(self.context) || "
                "self.context.all(c, self.context.exists_one(d, d.name == c.name))",
                "message": "context names must be unique",
            },
        ],
    }


def _model_schema(model: type[BaseModel]) -> Schema:
    """A model's structural schema (its own description left to the field using it)."""
    json_schema = model.model_json_schema(by_alias=True)
    return structural(json_schema, json_schema.get("$defs", {}))


def status_schema() -> Schema:
    """``status``, from :class:`~netchecks_core.assertion.NetworkAssertionStatus`."""
    node = _model_schema(NetworkAssertionStatus)
    node["description"] = _described(NetworkAssertion, "status")
    return node


def _condition(kind: str, field: str) -> str:
    return f'.status.conditions[?(@.type=="{kind}")].{field}'


#: ``kubectl get nas``: health (Ready), verdict (Passing) and counts of the latest run;
#: ``-o wide`` adds Ready's reason and message (0.10's Reason and Status columns) and,
#: for per-node assertions, the failing nodes.
PRINTER_COLUMNS: list[dict[str, Any]] = [
    {"name": "Ready", "type": "string", "jsonPath": _condition("Ready", "status")},
    {"name": "Passing", "type": "string", "jsonPath": _condition("Passing", "status")},
    {"name": "Pass", "type": "integer", "jsonPath": ".status.summary.pass"},
    {"name": "Fail", "type": "integer", "jsonPath": ".status.summary.fail"},
    {"name": "Error", "type": "integer", "jsonPath": ".status.summary.error"},
    {"name": "Last Run", "type": "date", "jsonPath": ".status.lastResultTime"},
    {"name": "Schedule", "type": "string", "jsonPath": ".spec.schedule"},
    {
        "name": "Reason",
        "type": "string",
        "priority": 1,
        "jsonPath": _condition("Ready", "reason"),
    },
    {
        "name": "Status",
        "type": "string",
        "priority": 1,
        "jsonPath": _condition("Ready", "message"),
    },
    {
        "name": "Failing Nodes",
        "type": "integer",
        "priority": 1,
        "jsonPath": ".status.nodes.failing",
    },
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def crd() -> dict[str, Any]:
    """The whole CustomResourceDefinition."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": SINGULAR,
                "shortNames": list(SHORT_NAMES),
                "categories": ["netchecks"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(column) for column in PRINTER_COLUMNS],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "What the network must and must not allow, "
                            "tested from inside the cluster.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {
                                    "type": "string",
                                    "description": _described(NetworkAssertion, "api_version"),
                                },
                                "kind": {
                                    "type": "string",
                                    "description": _described(NetworkAssertion, "kind"),
                                },
                                "metadata": {
                                    "type": "object",
                                    "description": _described(NetworkAssertion, "metadata"),
                                },
                                "spec": spec_schema(),
                                "status": status_schema(),
                            },
                        }
                    },
                }
            ],
        },
    }


def crd_yaml() -> str:
    """The CRD as YAML (what is committed under ``charts/netchecks/files/crds/``)."""
    import yaml  # imported on use: plain model users need not load it

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    header = "# Generated by `python -m netchecks_core.crd`; do not edit.\n"
    return header + yaml.dump(crd(), Dumper=_NoAliases, sort_keys=False, width=100)


if __name__ == "__main__":
    sys.stdout.write(crd_yaml())
