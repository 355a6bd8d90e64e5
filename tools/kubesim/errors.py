"""metav1.Status error bodies, built the way the API server builds them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .resources import ResourceType

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


class ApiError(Exception):
    """An error answered to the client as a ``metav1.Status`` body."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Obj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> Obj:
        """The Status object for the response body (always including ``code``)."""
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "code": self.code,
        }
        if self.reason:  # metav1.Status omits an empty reason (StatusReasonUnknown)
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        return body


@dataclass(frozen=True)
class GroupResource:
    """A resource qualified by its group, as it appears in error messages."""

    group: str
    resource: str

    def __str__(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def details(self, name: str) -> Obj:
        out: Obj = {"name": name, "kind": self.resource}
        if self.group:
            out["group"] = self.group
        return out


def not_found(gr: GroupResource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{gr} "{name}" not found', gr.details(name))


def already_exists(gr: GroupResource, name: str, prefix: str = "") -> ApiError:
    return ApiError(409, "AlreadyExists", f'{prefix}{gr} "{name}" already exists', gr.details(name))


def conflict(gr: GroupResource, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {gr} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        gr.details(name),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", message, {"causes": [{"message": message}]})


@dataclass(frozen=True)
class FieldError:
    """One validation failure (``field.Error``): a path, a type and a detail."""

    field: str
    type: str  # e.g. "Required value", "Invalid value"
    reason: str  # e.g. "FieldValueRequired"
    value: Any = None
    has_value: bool = False
    detail: str = ""

    def body(self) -> str:
        """``ErrorBody``: ``<Type>[: <value>][: <detail>]``."""
        text = self.type
        if self.has_value:
            text += ": " + render_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()


def render_value(value: Any) -> str:
    """Field-error value rendering: strings quoted, numbers bare, the rest as JSON."""
    import json

    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return '"object"' if isinstance(value, dict) else json.dumps(value)
    return json.dumps(value)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value", "FieldValueRequired", detail=detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, "Invalid value", "FieldValueInvalid", value, True, detail)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, "Forbidden", "FieldValueForbidden", detail=detail)


def unsupported(path: str, value: Any, supported: list[Any]) -> FieldError:
    detail = "supported values: " + ", ".join(render_value(v) for v in supported)
    return FieldError(path, "Unsupported value", "FieldValueNotSupported", value, True, detail)


def invalid_error(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """422 Invalid: ``<Kind>[.<group>] "<name>" is invalid: <err>`` or ``[e1, e2]``."""
    qualified = f"{kind}.{group}" if group else kind
    joined = str(errors[0]) if len(errors) == 1 else "[" + ", ".join(map(str, errors)) + "]"
    code = 422
    details: Obj = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": e.reason, "message": e.body(), "field": e.field} for e in errors],
    }
    if group:
        details["group"] = group
    return ApiError(code, "Invalid", f'{qualified} "{name}" is invalid: {joined}', details)


def validation_error(
    rt: ResourceType,
    name: str,
    problems: list[tuple[str, str]],
    value: Any = None,
    kind: str = "Required",
    kind_override: str | None = None,
) -> ApiError:
    """A 422 Invalid with one cause per (field, detail)."""
    errors = []
    for path, detail in problems:
        if kind == "Forbidden":
            errors.append(FieldError(path, "Forbidden", "FieldValueForbidden", detail=detail))
        elif value is not None:
            errors.append(
                FieldError(path, "Invalid value", "FieldValueInvalid", value, True, detail)
            )
        else:
            errors.append(FieldError(path, "Required value", "FieldValueRequired", detail=detail))
    return invalid_error(kind_override or rt.kind, rt.group, name, errors)
