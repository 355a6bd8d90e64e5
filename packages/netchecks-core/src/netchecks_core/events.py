"""The body of a core/v1 Event, as both services record them (pure: no API call)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from netchecks_core.meta import metadata_of
from netchecks_core.naming import event_name
from netchecks_core.times import rfc3339

#: The longest Event message kept.
MAX_MESSAGE = 1024


def event_body(
    regarding: dict[str, Any],
    *,
    event_type: str,
    reason: str,
    message: str,
    component: str,
    instance: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A core/v1 Event about ``regarding`` (an object as read from the API), at ``now``."""
    meta = metadata_of(regarding)
    # Nanoseconds name the Event (as kubectl's recorders do): two in a row differ.
    moment_ns = time.time_ns() if now is None else int(now.timestamp() * 1e9)
    stamp = rfc3339(now or dt.datetime.fromtimestamp(moment_ns / 1e9, dt.UTC))
    namespace = meta.get("namespace") or "default"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name(str(meta.get("name")), moment_ns), "namespace": namespace},
        "involvedObject": {
            "apiVersion": regarding.get("apiVersion"),
            "kind": regarding.get("kind"),
            "name": meta.get("name"),
            "namespace": namespace,
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": event_type,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": instance,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
