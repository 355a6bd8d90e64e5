"""Errors of the service plumbing: bad settings, and the Kubernetes adapter's errors
translated from the client's ``ApiException``.

::

    ServiceError
    ├── SettingsError         invalid environment settings
    └── KubeError             any failed API call (status, reason, message)
        ├── NotFoundError     404
        ├── ConflictError     409 (stale resourceVersion, or AlreadyExists: see ``reason``);
        │                     also a TemporaryError
        ├── InvalidError      422, 400, 413 and etcd's "request is too large" (500): the
        │                     request is wrong; also a PermanentError
        ├── GoneError         410 (expired resourceVersion: relist)
        └── TransientError    5xx, 429, connection errors: retry after ``retry_after``;
                              also a TemporaryError

The retry taxonomy is core's (:mod:`netchecks_core.errors`, re-exported here): each
service's ``error_policy`` (:mod:`netchecks_service.controller`) switches on
:class:`PermanentError` and :class:`TemporaryError`. Callers catch the narrow kinds; loops
catch :class:`KubeError` at their boundary.
"""

from __future__ import annotations

import json
from typing import Any

from netchecks_core.errors import PermanentError, TemporaryError

__all__ = [
    "ConflictError",
    "GoneError",
    "InvalidError",
    "KubeError",
    "NotFoundError",
    "PermanentError",
    "ServiceError",
    "SettingsError",
    "TemporaryError",
    "TransientError",
    "error_from_response",
]


class ServiceError(Exception):
    """Base of every error raised by :mod:`netchecks_service`."""


class SettingsError(ServiceError):
    """The service's settings (environment) are invalid; the message says which and why."""


class KubeError(ServiceError):
    """A Kubernetes API call failed."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class NotFoundError(KubeError):
    """The object (or its namespace, or its resource type) does not exist."""


class ConflictError(KubeError, TemporaryError):
    """409: the object changed since it was read, or exists (``reason == "AlreadyExists"``)."""


class InvalidError(KubeError, PermanentError):
    """422 or 400: the API server refused the request as wrong."""


class GoneError(KubeError):
    """410: the resourceVersion asked for is too old; list again."""


class TransientError(KubeError, TemporaryError):
    """A failure worth retrying: server errors, throttling, broken connections."""


_BY_STATUS: dict[int, type[KubeError]] = {
    400: InvalidError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: InvalidError,
    422: InvalidError,
}
#: etcd refuses an object over its size limit; kube-apiserver passes that on as a 500
#: (kubernetes/kubernetes#112152), but the same write fails again on every retry.
_TOO_LARGE = "etcdserver: request is too large"


def error_from_response(status: int, body: bytes | str | None, headers: Any = None) -> KubeError:
    """Build the right :class:`KubeError` from an HTTP status and a ``metav1.Status`` body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    reason, message, retry_after = "", text.strip()[:500], None
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = {}
    if isinstance(parsed, dict):
        reason = str(parsed.get("reason") or "")
        message = str(parsed.get("message") or message)
        details = parsed.get("details")
        if isinstance(details, dict) and isinstance(details.get("retryAfterSeconds"), int | float):
            retry_after = float(details["retryAfterSeconds"])
    if retry_after is None and headers is not None:
        header = headers.get("Retry-After") if hasattr(headers, "get") else None
        if header is not None and str(header).isdigit():
            retry_after = float(header)
    kind = _BY_STATUS.get(status, TransientError if status >= 500 or status == 429 else KubeError)
    if _TOO_LARGE in message:
        kind = InvalidError
    text_out = f"{status} {reason}: {message}" if reason else f"{status}: {message}"
    return kind(text_out, status=status, reason=reason, retry_after=retry_after)
