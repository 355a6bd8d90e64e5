"""The request log: every resource request the HTTP server answered, in arrival order.

Controller tests assert the exact API calls of a scenario with it (controller-rs's
``ApiServerVerifier`` style)::

    sim.requests.clear()
    reconcile(...)
    assert sim.requests.calls(namespace=ns, writes_only=True) == [
        "POST configmaps", "POST jobs", "PATCH networkassertions/status", "POST events"]

Only requests that reach the HTTP server are recorded (kubesim's own controllers and
kubelet call the storage directly), discovery and health paths are not. The log is a
bounded ring (``Settings.request_log_size``): the oldest entries go first.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field

#: HTTP methods that change state.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Request:
    """One request: what was asked, of which object, and the status code answered."""

    method: str
    path: str
    #: Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection);
    #: empty when the path names no served resource.
    verb: str
    #: The resource's plural name (``configmaps``), as written in the path.
    resource: str
    subresource: str | None
    namespace: str | None
    #: The object's name: from the path, or for a create from the body's ``metadata.name``.
    name: str | None
    #: The resource's kind (``ConfigMap``); empty when the path names no served resource.
    kind: str = ""
    #: The HTTP status answered (None while the request is still being served).
    code: int | None = None
    #: The query parameters (last value of each), e.g. a watch's ``resourceVersion``.
    query: dict[str, str] = field(default_factory=dict)

    @property
    def is_write(self) -> bool:
        """Whether the request asks for a change (POST, PUT, PATCH, DELETE)."""
        return self.method in WRITE_METHODS

    @property
    def call(self) -> str:
        """``"POST configmaps"``, ``"PATCH networkassertions/status"``, ``"GET pods/log"``;
        a watch reads ``"WATCH configmaps"``."""
        method = "WATCH" if self.verb == "watch" else self.method
        target = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{method} {target}"


class RequestLog:
    """Thread-safe, bounded, ordered record of the requests the server received."""

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Request] = deque(maxlen=size)

    def record(self, entry: Request) -> Request:
        """Append one request (the server calls this as each request arrives)."""
        with self._lock:
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._entries.clear()

    def entries(self, namespace: str | None = None, writes_only: bool = False) -> list[Request]:
        """The recorded requests in arrival order, optionally of one namespace or writes only."""
        with self._lock:
            entries = list(self._entries)
        return [
            e
            for e in entries
            if (namespace is None or e.namespace == namespace) and (e.is_write or not writes_only)
        ]

    def calls(self, namespace: str | None = None, writes_only: bool = False) -> list[str]:
        """:attr:`Request.call` of each recorded request, in arrival order."""
        return [e.call for e in self.entries(namespace, writes_only)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def unrouted(method: str, path: str, query: dict[str, str]) -> Request:
    """An entry for a request whose path names no served resource (answered 404)."""
    segs = [s for s in path.split("/") if s]
    rest = segs[2:] if segs[:1] == ["api"] else segs[3:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    rest = [*rest, "", "", ""]
    sub = rest[2] or None
    return Request(method, path, "", rest[0], sub, namespace, rest[1] or None, query=query)


def created_name(raw: bytes) -> str | None:
    """``metadata.name`` of a JSON create body (None for protobuf or a generateName)."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return None
    meta = body.get("metadata") if isinstance(body, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None
