"""Object size limits as kube-apiserver and its etcd enforce them.

Three limits stack up (see the reference, "Object size limits"):

- the REST handler reads at most ``MaxRequestBodyBytes`` (3 MiB) of a write request's
  body; more gives 413 ``RequestEntityTooLarge`` before anything is decoded;
- ConfigMap and Secret validation refuses more than 1 MiB of data (422 ``Too long``);
- etcd refuses a request over ``--max-request-bytes`` (1.5 MiB by default); kube-apiserver
  does not map that error, so the client gets a 500 Status with the etcd message and no
  reason (kubernetes/kubernetes#74600, #112152).

The first and the last are ``Settings.max_request_body_bytes`` and
``Settings.etcd_max_request_bytes``.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from .errors import ApiError, FieldError

Obj = dict[str, Any]

#: ``core.MaxSecretSize``: the data of a ConfigMap or a Secret.
MAX_CONFIG_DATA_BYTES = 1024 * 1024


def read_body(stream: io.BufferedIOBase, length: int, limit: int) -> bytes:
    """Read a request body; over ``limit`` it is drained in chunks and refused (413)."""
    if length <= limit:
        return stream.read(length) if length else b""
    left = length
    while left > 0:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            break
        left -= len(chunk)
    raise request_entity_too_large(limit)


def request_entity_too_large(limit: int) -> ApiError:
    """The Status ``limitedReadBody`` answers for an oversized body."""
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def check_stored_size(obj: Obj, limit: int) -> None:
    """Raise the error etcd's size limit gives through kube-apiserver (500, no reason).

    kube-apiserver stores built-ins as protobuf and custom resources as JSON; compact JSON
    is used here for both, which over-counts built-ins a little.
    """
    size = len(json.dumps(obj, separators=(",", ":")).encode())
    if size > limit:
        raise ApiError(500, "", "etcdserver: request is too large")


def config_data_errors(obj: Obj) -> list[FieldError]:
    """ConfigMap and Secret validation: at most 1 MiB of data in total."""
    kind = obj.get("kind")
    if kind == "ConfigMap":
        total = sum(len(str(v).encode()) for v in (obj.get("data") or {}).values())
        total += sum(_decoded_len(v) for v in (obj.get("binaryData") or {}).values())
        field = "[]"
    elif kind == "Secret":
        total = sum(_decoded_len(v) for v in (obj.get("data") or {}).values())
        total += sum(len(str(v).encode()) for v in (obj.get("stringData") or {}).values())
        field = "data"
    else:
        return []
    if total <= MAX_CONFIG_DATA_BYTES:
        return []
    detail = f"may not be more than {MAX_CONFIG_DATA_BYTES} bytes"
    return [FieldError(field, "Too long", "FieldValueTooLong", detail=detail)]


def _decoded_len(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=False))
    except ValueError:
        return len(str(value))
