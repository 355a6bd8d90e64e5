"""How stored objects look through each served resource (apiVersion, kind, shape).

events.k8s.io/v1 Events are a second view of core/v1 Events, as in the real server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .resources import ResourceType

Obj = dict[str, Any]

# events.k8s.io/v1 field <-> core/v1 field
_EVENT_FIELDS = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
_SHARED = (
    "metadata",
    "reason",
    "type",
    "action",
    "reportingInstance",
    "eventTime",
    "series",
    "related",
)


def _is_events_v1(rt: ResourceType) -> bool:
    return rt.group == "events.k8s.io"


def present(rt: ResourceType, obj: Obj) -> Obj:
    """The object as this resource serves it."""
    if _is_events_v1(rt):
        obj = _event_fields(obj, _EVENT_FIELDS.items())
        obj.setdefault("eventTime", None)
    return {"kind": rt.kind, "apiVersion": rt.api_version, **_without_type(obj)}


def accept(rt: ResourceType, obj: Obj) -> Obj:
    """A request body in storage form."""
    if _is_events_v1(rt):
        core_names = ((old, new) for new, old in _EVENT_FIELDS.items())
        return {**_event_fields(obj, core_names), "apiVersion": "v1", "kind": "Event"}
    return {**obj, "apiVersion": rt.api_version, "kind": rt.kind}


def _event_fields(event: Obj, renames: Iterable[tuple[str, str]]) -> Obj:
    """The fields both Event versions share, plus each ``(name, source)`` the event has."""
    out: Obj = {k: event[k] for k in _SHARED if k in event}
    out.update({name: event[source] for name, source in renames if source in event})
    return out


def _without_type(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
