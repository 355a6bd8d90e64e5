"""Protobuf request bodies (``application/vnd.kubernetes.protobuf``), as kubectl sends them
for ``create namespace|configmap|secret|serviceaccount|job|cronjob``.

The body is the magic ``k8s\\x00`` followed by a ``runtime.Unknown`` message
(``typeMeta`` = 1 with apiVersion = 1 and kind = 2, ``raw`` = 2, ``contentEncoding`` = 3,
``contentType`` = 4); ``raw`` is the object's own message. It is decoded with the field
tables of :mod:`protoschema` into the JSON form the rest of kubesim reads. A kind kubesim
does not decode (custom resources included) gets 415 UnsupportedMediaType, as the real
server answers a media type it cannot read; so does a field the tables do not know, rather
than silently losing it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .errors import ApiError, bad_request
from .protoschema import DECODED_KINDS, MESSAGES
from .resources import ResourceType

Obj = dict[str, Any]
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
_MAX_DEPTH = 64

_UNKNOWN = {1: "typeMeta:TypeMeta", 2: "raw:bytes", 3: "contentEncoding", 4: "contentType"}
_TYPE_META = {1: "apiVersion", 2: "kind"}


class ProtobufError(ValueError):
    """The bytes are not a well-formed message."""


def is_protobuf(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == MEDIA_TYPE


def unsupported(rt: ResourceType, detail: str = "") -> ApiError:
    """The 415 for a body kubesim cannot read (it accepts JSON and YAML for every kind)."""
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml"
    )
    return ApiError(415, "UnsupportedMediaType", message + (f" ({detail})" if detail else ""))


def decode_request(rt: ResourceType, raw: bytes) -> Obj:
    """The JSON form of a protobuf body for resource ``rt``."""
    if (rt.api_version, rt.kind) not in DECODED_KINDS:
        raise unsupported(rt, f"kubesim does not decode {rt.kind} from protobuf")
    return _decode(rt, raw, rt.kind)


def decode_delete_options(rt: ResourceType, raw: bytes) -> bytes:
    """A protobuf DeleteOptions body (client-go's typed deletes) as JSON bytes."""
    return json.dumps(_decode(rt, raw, "DeleteOptions")).encode()


def _decode(rt: ResourceType, raw: bytes, message: str) -> Obj:
    if not raw.startswith(MAGIC):
        raise bad_request(
            "error decoding request body: provided data does not appear to be a protobuf "
            "message, expected prefix [107 56 115 0]"
        )
    try:
        envelope = _message(raw[len(MAGIC) :], _parse(_UNKNOWN), 0)
        type_meta = envelope.get("typeMeta") or {}
        if envelope.get("contentEncoding"):
            raise bad_request("error decoding request body: content encodings are not supported")
        body = base64.b64decode(envelope.get("raw") or "")
        obj = _message(body, _parse(MESSAGES[message]), 0, message)
    except _UnknownFieldError as exc:
        raise unsupported(rt, str(exc)) from exc
    except (ProtobufError, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"error decoding request body: {exc}") from exc
    return {"apiVersion": type_meta.get("apiVersion"), "kind": type_meta.get("kind"), **obj}


class _UnknownFieldError(ValueError):
    pass


# -- wire format -----------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field in document order."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _varint(data, pos)
            yield number, wire_type, value
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated length-delimited field")
            yield number, wire_type, data[pos : pos + length]
            pos += length
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            yield number, wire_type, int.from_bytes(data[pos : pos + size], "little")
            pos += size
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")


# -- schema-driven conversion ----------------------------------------------------------

_Field = tuple[str, str, str, bool]  # json name, type, shape ("", "[]", "map"), pointer
_PARSED: dict[int, dict[int, _Field]] = {}


def _parse(table: dict[int, str]) -> dict[int, _Field]:
    cached = _PARSED.get(id(table))
    if cached is not None:
        return cached
    out: dict[int, _Field] = {}
    for number, spec in table.items():
        name, _, kind = spec.partition(":")
        pointer = kind.endswith("?")
        kind = kind.rstrip("?") or "string"
        shape = ""
        if kind.startswith("["):
            shape, kind = "[]", kind[1:-1]
        elif kind.startswith("map"):
            shape, kind = "map", kind[4:-1] if "<" in kind else "string"
        out[number] = (name, kind, shape, pointer)
    _PARSED[id(table)] = out
    return out


def _message(data: bytes, fields: dict[int, _Field], depth: int, where: str = "") -> Obj:
    if depth > _MAX_DEPTH:
        raise ProtobufError("message nesting too deep")
    out: Obj = {}
    for number, wire_type, value in _fields(data):
        field = fields.get(number)
        if field is None:
            message = where or "the object"
            raise _UnknownFieldError(f"kubesim does not know field {number} of {message}")
        name, kind, shape, pointer = field
        if shape == "map":
            assert isinstance(value, bytes)
            key, item = _map_entry(value, kind, depth, name)
            out.setdefault(name, {})[key] = item
            continue
        if shape == "[]" and wire_type == 2 and kind in ("int", "bool"):
            out.setdefault(name, []).extend(_scalar(kind, v) for v in _packed(value))
            continue
        converted = _value(kind, value, depth, name)
        if shape == "[]":
            out.setdefault(name, []).append(converted)
        elif not name and isinstance(converted, dict):
            out.update(converted)
        elif converted is not None and (pointer or not _is_zero(converted, kind)):
            out[name] = converted
    return out


def _packed(data: int | bytes) -> Iterator[int]:
    if isinstance(data, int):
        yield data
        return
    pos = 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        yield value


def _is_zero(value: Any, kind: str) -> bool:
    """Go encodes non-pointer scalars even when unset; their zero value means absent."""
    return kind in ("string", "bytes", "int", "bool", "Quantity") and value in ("", 0, False)


def _map_entry(data: bytes, kind: str, depth: int, where: str) -> tuple[str, Any]:
    key, value = "", _value(kind, b"" if kind != "int" else 0, depth, where)
    for number, _, raw in _fields(data):
        if number == 1 and isinstance(raw, bytes):
            key = raw.decode()
        elif number == 2:
            value = _value(kind, raw, depth, where)
    return key, value


def _value(kind: str, value: int | bytes, depth: int, where: str) -> Any:
    if kind in ("int", "bool"):
        if not isinstance(value, int):
            raise ProtobufError(f"{where}: expected a varint")
        return _scalar(kind, value)
    if not isinstance(value, bytes):
        raise ProtobufError(f"{where}: expected a length-delimited field")
    if kind == "string":
        return value.decode()
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "FieldsV1":  # {raw = 1}: the JSON document itself
        raw = _message(value, _parse({1: "raw:bytes"}), depth + 1).get("raw", "")
        return json.loads(base64.b64decode(raw)) if raw else {}
    if kind == "time":
        return _time(value)
    if kind == "Quantity":
        return _message(value, _parse({1: "string"}), depth + 1).get("string", "")
    if kind == "IntOrString":
        parsed = _message(value, _parse({1: "type:int", 2: "intVal:int", 3: "strVal"}), depth + 1)
        return parsed.get("strVal", "") if parsed.get("type") == 1 else parsed.get("intVal", 0)
    if kind == "ignored":
        return {}
    table = MESSAGES.get(kind)
    if table is None:
        table = _TYPE_META if kind == "TypeMeta" else None
    if table is None:
        raise ProtobufError(f"no table for message {kind}")
    return _message(value, _parse(table), depth + 1, kind)


def _scalar(kind: str, value: int) -> int | bool:
    if kind == "bool":
        return value != 0
    return value - (1 << 64) if value >= 1 << 63 else value


def _time(data: bytes) -> str | None:
    """metav1.Time: {seconds = 1, nanos = 2}; an empty message is the zero time (unset)."""
    if not data:
        return None
    seconds = 0
    for number, _, value in _fields(data):
        if number == 1 and isinstance(value, int):
            seconds = int(_scalar("int", value))
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
