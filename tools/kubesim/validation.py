"""Validation of built-in kinds against the real schemas, plus the server's own checks."""

from __future__ import annotations

import functools
import re
import threading
import zoneinfo
from typing import Any, cast

import jsonschema
from croniter import croniter
from referencing import Registry, Resource

from .errors import ApiError, FieldError, invalid, required, unsupported
from .limits import config_data_errors
from .schemas import definitions, kind_schema

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_lock = threading.Lock()


@functools.cache
def _validator(
    api_version: str, kind: str, unchanged: frozenset[str] = frozenset()
) -> jsonschema.protocols.Validator | None:
    """The kind's validator; the ``unchanged`` top-level fields accept anything (an update
    leaves them as the schema already accepted them: the schemas of built-ins never change,
    so checking them again finds nothing and costs most of a Pod status write)."""
    schema = kind_schema(api_version, kind)
    if schema is None:
        return None
    if unchanged:
        props = schema.get("properties") or {}
        schema = {**schema, "properties": {**props, **{k: {} for k in unchanged if k in props}}}
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions()) @ registry
    cls = jsonschema.validators.Draft202012Validator
    return cls(schema, registry=registry)


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_errors(
    obj: Obj, unchanged: frozenset[str] = frozenset()
) -> tuple[list[FieldError], str | None]:
    """Schema violations as field errors, and a decode error message (400) if any.

    ``unchanged``: top-level fields an update left as they were (not checked again).
    """
    with _lock:
        validator = _validator(obj.get("apiVersion", ""), obj.get("kind", ""), unchanged)
    if validator is None:
        return [], None
    errors: list[FieldError] = []
    for err in validator.iter_errors(obj):
        path = _path(err.absolute_path)
        if err.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            errors.extend(required(f"{path}.{m}" if path else m) for m in missing)
        elif err.validator == "enum":
            errors.append(unsupported(path, err.instance, list(cast(Any, err.validator_value))))
        elif err.validator in ("type", "oneOf", "anyOf"):
            kind = obj.get("kind", "")
            return [], (
                f'{kind} in version "{obj.get("apiVersion", "").rpartition("/")[2]}" cannot be '
                f"handled as a {kind}: json: cannot unmarshal {_json_type(err.instance)} into Go "
                f"struct field {kind}.{path} of type {_go_type(err.validator_value)}"
            )
        else:
            errors.append(invalid(path, err.instance, err.message))
    return errors, None


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(value), "number")


def _go_type(expected: Any) -> str:
    if isinstance(expected, list):
        expected = next((t for t in expected if t != "null"), "object")
    return {"integer": "int32", "array": "[]interface {}", "object": "map"}.get(
        str(expected), str(expected)
    )


def name_errors(obj: Obj, kind: str) -> list[FieldError]:
    name = obj["metadata"].get("name", "")
    if kind == "Namespace":
        if not _LABEL.match(name) or len(name) > 63:
            return [invalid("metadata.name", name, _LABEL_MSG)]
        return []
    if not _SUBDOMAIN.match(name) or len(name) > 253:
        return [invalid("metadata.name", name, _SUBDOMAIN_MSG)]
    return []


def _pod_spec_errors(spec: Obj, path: str, restart_allowed: list[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not spec.get("containers"):
        errors.append(required(f"{path}.containers"))
    for group in ("initContainers", "containers"):
        names: set[str] = set()
        for i, container in enumerate(spec.get(group) or []):
            if not container.get("image"):
                errors.append(required(f"{path}.{group}[{i}].image"))
            if container.get("name") in names:
                errors.append(
                    FieldError(
                        f"{path}.{group}[{i}].name",
                        "Duplicate value",
                        "FieldValueDuplicate",
                        container.get("name"),
                        True,
                    )
                )
            names.add(container.get("name", ""))
    policy = spec.get("restartPolicy", "Always")
    if policy not in restart_allowed:
        errors.append(unsupported(f"{path}.restartPolicy", policy, restart_allowed))
    return errors


def _cron_errors(spec: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    schedule = spec.get("schedule", "")
    if "TZ=" in schedule:
        errors.append(
            invalid(
                "spec.schedule",
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            )
        )
    elif not croniter.is_valid(schedule.replace("?", "*")) and not schedule.startswith("@every"):
        errors.append(invalid("spec.schedule", schedule, f"unparseable schedule: {schedule}"))
    zone = spec.get("timeZone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.append(invalid("spec.timeZone", zone, f"unknown time zone {zone}"))
    return errors


def kind_errors(obj: Obj) -> list[FieldError]:
    """The server-side checks that the OpenAPI schema alone does not express."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    all_policies = ["Always", "OnFailure", "Never"]
    if kind == "Pod":
        return _pod_spec_errors(spec, "spec", all_policies)
    if kind == "Job":
        pod_spec = ((spec.get("template") or {}).get("spec")) or {}
        return _pod_spec_errors(pod_spec, "spec.template.spec", ["OnFailure", "Never"])
    if kind == "CronJob":
        errors = _cron_errors(spec)
        if len(obj["metadata"].get("name", "")) > 52:
            errors.append(
                invalid(
                    "metadata.name", obj["metadata"]["name"], "must be no more than 52 characters"
                )
            )
        job_spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        pod_spec = ((job_spec.get("template") or {}).get("spec")) or {}
        return errors + _pod_spec_errors(
            pod_spec, "spec.jobTemplate.spec.template.spec", ["OnFailure", "Never"]
        )
    return []


def validate_builtin(obj: Obj, group: str, old: Obj | None = None) -> None:
    """Raise 400 (undecodable) or 422 Invalid like the real server (``old``: on update)."""
    errors, decode_error = schema_errors(obj, _unchanged(obj, old))
    if decode_error:
        raise ApiError(400, "BadRequest", decode_error)
    errors += name_errors(obj, obj.get("kind", ""))
    errors += kind_errors(obj)
    errors += config_data_errors(obj)
    if errors:
        from .errors import invalid_error

        raise invalid_error(obj.get("kind", ""), group, obj["metadata"].get("name", ""), errors)


def _unchanged(obj: Obj, old: Obj | None) -> frozenset[str]:
    """The top-level fields (besides the type and metadata) an update leaves as they were."""
    if old is None:
        return frozenset()
    return frozenset(
        k
        for k, v in obj.items()
        if k not in ("apiVersion", "kind", "metadata") and k in old and old[k] == v
    )


_POD_MUTABLE = ("activeDeadlineSeconds", "terminationGracePeriodSeconds", "tolerations")


def update_errors(kind: str, new: Obj, old: Obj) -> list[FieldError]:
    """Fields the real strategies refuse to change on update."""
    errors: list[FieldError] = []
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if kind == "Job":
        for key in ("template", "selector", "completionMode"):
            if key in old_spec and spec.get(key) != old_spec.get(key):
                errors.append(invalid(f"spec.{key}", "object", "field is immutable"))
    elif kind == "Pod":

        def comparable(pod_spec: Obj) -> Obj:
            out = {k: v for k, v in pod_spec.items() if k not in _POD_MUTABLE}
            out["containers"] = [
                {k: v for k, v in c.items() if k != "image"}
                for c in pod_spec.get("containers") or []
            ]
            out["initContainers"] = [
                {k: v for k, v in c.items() if k != "image"}
                for c in pod_spec.get("initContainers") or []
            ]
            if not old_spec.get("nodeName"):
                out.pop("nodeName", None)
            return out

        if comparable(spec) != comparable(old_spec):
            errors.append(
                FieldError(
                    "spec",
                    "Forbidden",
                    "FieldValueForbidden",
                    detail="pod updates may not change fields other than "
                    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                    "`spec.tolerations` (only additions to existing tolerations),"
                    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    "previously negative)",
                )
            )
    return errors
