"""Structural-schema handling for custom resources: prune, default, validate, CEL."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from . import cel
from .errors import FieldError, invalid, required, unsupported

Obj = dict[str, Any]

_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}
_TOP_LEVEL = ("apiVersion", "kind", "metadata")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _type_ok(expected: str, value: Any) -> bool:
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES.get(expected, object))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _field_schema(schema: Obj, key: str) -> Obj | None:
    """The schema of field ``key`` of an object: its property, else ``additionalProperties``
    (None: the schema does not know the field)."""
    props = schema.get("properties") or {}
    if key in props:
        field: Obj = props[key]
        return field
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _item_schema(schema: Obj) -> Obj | None:
    items = schema.get("items")
    return items if isinstance(items, dict) else None


def _keeps_unknown(schema: Obj) -> bool:
    extra = schema.get("additionalProperties")
    return bool(schema.get("x-kubernetes-preserve-unknown-fields")) or extra is True


def prune(value: Any, schema: Obj, top: bool = False) -> Any:
    """Drop fields the schema does not know, unless it preserves unknown fields."""
    if isinstance(value, dict):
        top = top or bool(schema.get("x-kubernetes-embedded-resource"))
        out = {}
        for key, sub in value.items():
            field = _field_schema(schema, key)
            if top and key in _TOP_LEVEL:
                out[key] = sub
            elif field is not None:
                out[key] = prune(sub, field)
            elif _keeps_unknown(schema):
                out[key] = sub
        return out
    items = _item_schema(schema)
    if isinstance(value, list) and items is not None:
        return [prune(v, items) for v in value]
    return value


def default(value: Any, schema: Obj) -> Any:
    """Fill ``default`` values for absent properties, recursively."""
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
        for key in value:
            field = _field_schema(schema, key)
            if field is not None:
                value[key] = default(value[key], field)
    items = _item_schema(schema)
    if isinstance(value, list) and items is not None:
        return [default(v, items) for v in value]
    return value


def drop_nulls(value: Any, schema: Obj) -> Any:
    """Nulls in non-nullable fields are pruned before defaulting."""
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            field = _field_schema(schema, key) or {}
            if sub is None and not field.get("nullable"):
                continue
            out[key] = drop_nulls(sub, field)
        return out
    items = _item_schema(schema)
    if isinstance(value, list) and items is not None:
        return [drop_nulls(v, items) for v in value]
    return value


def validate(value: Any, schema: Obj, old: Any = None, has_old: bool = False) -> list[FieldError]:
    """All schema and CEL violations of ``value`` (``old`` feeds transition rules)."""
    errors: list[FieldError] = []
    _validate(value, schema, "", errors, old, has_old, top=True)
    return errors


def _validate(
    value: Any,
    schema: Obj,
    path: str,
    errors: list[FieldError],
    old: Any,
    has_old: bool,
    top: bool = False,
) -> None:
    if has_old and value == old and not _uses_old_self(schema):
        return  # ratcheting (GA in 1.33): an unchanged value's errors are not reported
    if value is None:
        if not schema.get("nullable") and schema.get("type"):
            errors.append(_type_error(path, value, schema["type"]))
        return
    expected = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, int | str) or isinstance(value, bool):
            errors.append(_type_error(path, value, "integer or string"))
            return
    elif expected and not _type_ok(expected, value):
        errors.append(_type_error(path, value, expected))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(unsupported(path, value, schema["enum"]))
    _check_bounds(value, schema, path, errors)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key in schema.get("required") or []:
            if key not in value:
                errors.append(required(_join(path, key)))
        for key, sub in value.items():
            if top and key in _TOP_LEVEL and key not in props:
                continue
            sub_schema = _field_schema(schema, key)
            if sub_schema is None:
                continue
            old_sub = old.get(key) if has_old and isinstance(old, dict) else None
            sub_has_old = has_old and isinstance(old, dict) and key in old
            _validate(sub, sub_schema, _join(path, key), errors, old_sub, sub_has_old)
    elif isinstance(value, list) and (items := _item_schema(schema)) is not None:
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", errors, None, False)
    _check_rules(value, schema, path, errors, old, has_old)


#: id(schema node) -> (the node, whether a rule under it reads ``oldSelf``). The node is
#: kept so that its id is not reused by another one.
_old_self: dict[int, tuple[Obj, bool]] = {}


def _uses_old_self(schema: Obj) -> bool:
    """Does a transition rule (one reading ``oldSelf``) sit at or under this schema node?
    Those run on unchanged values too (they are never ratcheted)."""
    hit = _old_self.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _old_self[id(schema)] = (schema, "oldSelf" in json.dumps(schema))
    return hit[1]


def _check_number(value: float, schema: Obj, path: str, errors: list[FieldError]) -> None:
    if "maximum" in schema:
        bad = (
            value >= schema["maximum"]
            if schema.get("exclusiveMaximum")
            else (value > schema["maximum"])
        )
        if bad:
            word = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
            errors.append(
                invalid(path, value, f"{path} in body should be {word} {schema['maximum']}")
            )
    if "minimum" in schema:
        bad = (
            value <= schema["minimum"]
            if schema.get("exclusiveMinimum")
            else (value < schema["minimum"])
        )
        if bad:
            word = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
            errors.append(
                invalid(path, value, f"{path} in body should be {word} {schema['minimum']}")
            )


def _check_bounds(value: Any, schema: Obj, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(
                FieldError(
                    path,
                    "Too long",
                    "FieldValueTooLong",
                    detail=f"may not be more than {schema['maxLength']} bytes",
                )
            )
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(
                invalid(
                    path,
                    value,
                    f"{path} in body should be at least {schema['minLength']} chars long",
                )
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(
                invalid(path, value, f"{path} in body should match '{schema['pattern']}'")
            )
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(
                FieldError(
                    path,
                    "Too many",
                    "FieldValueTooMany",
                    len(value),
                    True,
                    f"must have at most {schema['maxItems']} items",
                )
            )
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(
                invalid(
                    path, value, f"{path} in body should have at least {schema['minItems']} items"
                )
            )
    if isinstance(value, dict):
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append(
                FieldError(
                    path,
                    "Too many",
                    "FieldValueTooMany",
                    len(value),
                    True,
                    f"must have at most {schema['maxProperties']} items",
                )
            )
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            errors.append(
                invalid(
                    path,
                    value,
                    f"{path} in body should have at least {schema['minProperties']} properties",
                )
            )


_RULE_TYPES = {
    "FieldValueForbidden": ("Forbidden", False),
    "FieldValueRequired": ("Required value", False),
    "FieldValueDuplicate": ("Duplicate value", True),
}


def _check_rules(
    value: Any, schema: Obj, path: str, errors: list[FieldError], old: Any, has_old: bool
) -> None:
    for rule in schema.get("x-kubernetes-validations") or []:
        text = rule["rule"]
        if cel.is_transition_rule(text) and not has_old:
            continue
        try:
            ok = cel.evaluate(text, value, old, has_old)
            message = rule.get("message") or f"failed rule: {text}"
        except cel.CelError as exc:
            ok, message = False, f"{text}: {exc}"
        if ok:
            continue
        field = path
        if rule.get("fieldPath"):
            field = (
                path + rule["fieldPath"]
                if rule["fieldPath"].startswith("[")
                else (path + rule["fieldPath"] if path else rule["fieldPath"].lstrip("."))
            )
        reason = rule.get("reason") or "FieldValueInvalid"
        type_text, with_value = _RULE_TYPES.get(reason, ("Invalid value", True))
        errors.append(
            FieldError(field, type_text, reason, schema.get("type", "object"), with_value, message)
        )


def _type_error(path: str, value: Any, expected: str) -> FieldError:
    actual = _type_name(value)
    return FieldError(
        path,
        "Invalid value",
        "FieldValueTypeInvalid",
        value if not isinstance(value, dict | list) else actual,
        True,
        f'{path} in body must be of type {expected}: "{actual}"',
    )


def check_rules_compile(schema: Obj, path: str = "") -> list[FieldError]:
    """Compile every CEL rule in a CRD schema; return errors for the ones that fail.

    Real: a node without a type (only ``x-kubernetes-preserve-unknown-fields``) has no CEL
    type, so rules on it make the CRD invalid (``Internal error: internal error: failed to
    retrieve type information for x-kubernetes-validations``); int-or-string nodes are
    ``dyn`` and may carry rules.
    """
    errors = []
    untyped = "type" not in schema and not schema.get("x-kubernetes-int-or-string")
    if schema.get("x-kubernetes-validations") and untyped:
        where = _join(path, "x-kubernetes-validations")
        detail = "internal error: failed to retrieve type information for x-kubernetes-validations"
        errors.append(FieldError(where, "Internal error", "InternalError", detail=detail))
        return errors
    for i, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        try:
            cel.check(rule.get("rule", ""))
        except cel.CelError as exc:
            where = _join(path, f"x-kubernetes-validations[{i}].rule")
            errors.append(invalid(where, rule.get("rule", ""), str(exc)))
    for key, sub in (schema.get("properties") or {}).items():
        errors += check_rules_compile(sub, _join(path, f"properties[{key}]"))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            errors += check_rules_compile(schema[key], _join(path, key))
    return errors


def unknown_fields(value: Any, schema: Obj, path: str = "", top: bool = True) -> list[str]:
    """Fields that pruning would drop (reported under fieldValidation Strict/Warn)."""
    out: list[str] = []
    if isinstance(value, dict):
        top = top or bool(schema.get("x-kubernetes-embedded-resource"))
        for key, sub in value.items():
            where = _join(path, key)
            field = _field_schema(schema, key)
            if top and key in _TOP_LEVEL:
                continue
            if field is not None:
                out += unknown_fields(sub, field, where, False)
            elif not _keeps_unknown(schema):
                out.append(where)
    elif isinstance(value, list) and (items := _item_schema(schema)) is not None:
        for i, item in enumerate(value):
            out += unknown_fields(item, items, f"{path}[{i}]", False)
    return out
