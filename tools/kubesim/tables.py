"""Response transformations a client asks for in ``Accept``: meta.k8s.io Table and
PartialObjectMetadata(List), for get, list and watch.

kubectl asks ``application/json;as=Table;v=v1;g=meta.k8s.io`` (then v1beta1, then plain
JSON). A Table carries the column definitions and one row per object; each row's
``object`` follows ``?includeObject=``: ``Metadata`` (the default: a
PartialObjectMetadata), ``Object`` (the whole object) or ``None``. On a watch, every
event's object is a one-row Table, and only the first carries the column definitions;
a BOOKMARK becomes a Table with no rows. Errors stay plain Status bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .auth import RequestInfo
from .clock import Clock
from .crdcolumns import crd_printer
from .errors import ApiError, bad_request
from .printers import builtin_printer
from .printing import Obj, Printer
from .resources import ResourceType

READ_VERBS = ("get", "list", "watch")
_TRANSFORM_VERSIONS = ("v1", "v1beta1")
_PLAIN_TYPES = (
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/*",
    "*/*",
)
_INCLUDE = ("Metadata", "Object", "None")


@dataclass
class Output:
    """How one response's objects are written: as they are, as a Table, or as metadata."""

    as_kind: str = ""  # "" (as stored), "Table" or "PartialObjectMetadata"
    version: str = "v1"
    include_object: str = "Metadata"
    rt: ResourceType | None = None
    collection: bool = False
    clock: Clock | None = None
    #: Watch events after the first omit the column definitions.
    headers_sent: bool = field(default=False)
    printer: Printer | None = field(default=None, repr=False)

    @property
    def api_version(self) -> str:
        return f"meta.k8s.io/{self.version}"

    def render(self, body: Obj) -> Obj:
        """A get or list response body in the negotiated form."""
        if not self.as_kind or self.rt is None or body.get("kind") == "Status":
            return body
        if self.as_kind == "Table":
            return self._table(body)
        if self.collection:
            return {
                "kind": "PartialObjectMetadataList",
                "apiVersion": self.api_version,
                "metadata": body.get("metadata") or {},
                "items": [self._partial(item) for item in body.get("items") or []],
            }
        return self._partial(body)

    def event(self, event: Obj) -> Obj:
        """A watch event with its object in the negotiated form."""
        if not self.as_kind or event.get("type") == "ERROR":
            return event
        obj = event.get("object") or {}
        if event.get("type") == "BOOKMARK":
            rv = (obj.get("metadata") or {}).get("resourceVersion", "")
            if self.as_kind == "Table":
                body: Obj = self._table_shell({"resourceVersion": rv})
                body["rows"] = []
            else:
                body = {**self._partial({"metadata": {"resourceVersion": rv}})}
            return {"type": "BOOKMARK", "object": body}
        saved, self.collection = self.collection, False
        try:
            return {"type": event.get("type"), "object": self.render(obj)}
        finally:
            self.collection = saved

    # -- forms ---------------------------------------------------------------------------

    def _partial(self, obj: Obj) -> Obj:
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": self.api_version,
            "metadata": obj.get("metadata") or {},
        }

    def _table_shell(self, list_meta: Obj) -> Obj:
        table: Obj = {"kind": "Table", "apiVersion": self.api_version, "metadata": list_meta}
        if not self.headers_sent:
            table["columnDefinitions"] = [c.definition() for c in self._printer().columns]
        return table

    def _table(self, body: Obj) -> Obj:
        assert self.rt is not None and self.clock is not None
        if self.collection:
            list_meta = body.get("metadata") or {}
            objects = [self._typed(item) for item in body.get("items") or []]
        else:
            rv = (body.get("metadata") or {}).get("resourceVersion")
            list_meta = {"resourceVersion": rv} if rv else {}
            objects = [body]
        table = self._table_shell(list_meta)
        table["rows"] = [self._row(obj) for obj in objects]
        if not self.collection:
            self.headers_sent = True
        return table

    def _typed(self, item: Obj) -> Obj:
        assert self.rt is not None
        return {"kind": self.rt.kind, "apiVersion": self.rt.api_version, **item}

    def _row(self, obj: Obj) -> Obj:
        assert self.clock is not None
        printer = self._printer()
        row: Obj = {"cells": printer.cells(obj, self.clock.now())}
        if printer.conditions is not None and (conditions := printer.conditions(obj)):
            row["conditions"] = conditions
        if self.include_object == "Object":
            row["object"] = obj
        elif self.include_object == "Metadata":
            row["object"] = self._partial(obj)
        return row

    def _printer(self) -> Printer:
        """The kind's printer, built once per response (a CRD's from its columns)."""
        assert self.rt is not None
        if self.printer is None:
            if self.rt.builtin:
                self.printer = builtin_printer(self.rt.group, self.rt.kind)
            else:
                self.printer = crd_printer(self.rt.crd_version)
        return self.printer


PLAIN = Output()


def _clauses(accept: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for clause in accept.split(","):
        parts = [p.strip() for p in clause.split(";")]
        params = {}
        for param in parts[1:]:
            key, _, value = param.partition("=")
            params[key.strip().lower()] = value.strip()
        if parts[0]:
            out.append((parts[0].lower(), params))
    return out


def _transform(params: dict[str, str], collection: bool) -> str | None:
    """The conversion a clause asks for ('' for none), or None if it cannot be served."""
    wanted = params.get("as")
    if not wanted:
        return ""
    if params.get("g") != "meta.k8s.io" or params.get("v") not in _TRANSFORM_VERSIONS:
        return None
    if wanted == "Table":
        return "Table"
    metadata = "PartialObjectMetadataList" if collection else "PartialObjectMetadata"
    return "PartialObjectMetadata" if wanted == metadata else None


def negotiate(
    accept: str | None, query: dict[str, str], info: RequestInfo, rt: ResourceType, clock: Clock
) -> Output:
    """The Output for a request (406 when no clause of ``Accept`` can be served).

    Pod logs are text whatever the client accepts; only objects are transformed.
    """
    if info.verb not in READ_VERBS or not accept or info.subresource == "log":
        return PLAIN
    collection = info.verb == "list"
    for media_type, params in _clauses(accept):
        if media_type not in _PLAIN_TYPES:
            continue
        as_kind = _transform(params, collection)
        if as_kind is None:
            continue
        if not as_kind:
            return PLAIN
        include = query.get("includeObject") or "Metadata"
        if as_kind == "Table" and include not in _INCLUDE:
            raise bad_request(
                "Unable to convert to Table as requested: includeObject: Invalid value: "
                f"\"{include}\": must be 'Metadata', 'Object', 'None', or empty"
            )
        return Output(as_kind, params["v"], include, rt, collection, clock)
    raise ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf",
    )


def table_cells(table: Obj) -> list[dict[str, Any]]:
    """Rows of a Table as {column name: cell} (for tests and debugging)."""
    names = [c["name"] for c in table.get("columnDefinitions") or []]
    return [dict(zip(names, row["cells"], strict=False)) for row in table.get("rows") or []]
