"""Applying a plan (thin): the writes in order, then one status write if it changed, then events."""

from __future__ import annotations

import logging
from typing import Any

from netchecks_service.errors import KubeError

from netchecks_operator import metrics
from netchecks_operator.events import EventRecorder
from netchecks_operator.kube import Cluster
from netchecks_operator.plan_model import EventNote, Plan
from netchecks_operator.status import status_changed

log = logging.getLogger(__name__)


def apply_plan(
    cluster: Cluster, assertion: dict[str, Any], plan: Plan, events: EventRecorder
) -> None:
    """Make the plan's writes; raises the first API error (the rest waits for the retry)."""
    namespace = assertion["metadata"]["namespace"]
    for action in plan.actions:
        cluster.apply(namespace, action)
        metrics.writes.add(1, {"verb": action.verb, "kind": action.kind})
        log.info("%s", action)
    write_status(cluster, assertion, plan.status)
    for note in plan.events:
        record_event(events, assertion, note)


def write_status(
    cluster: Cluster, assertion: dict[str, Any], status: dict[str, Any] | None
) -> None:
    """Write ``status`` if it differs from the stored one (never a no-op write)."""
    if status is not None and status_changed(assertion, status):
        cluster.write_status(assertion, status)
        metrics.writes.add(1, {"verb": "patch", "kind": "NetworkAssertionStatus"})


def record_event(events: EventRecorder, assertion: dict[str, Any], note: EventNote) -> None:
    """Record an Event; a failure to do so is logged, not fatal (events are best effort)."""
    try:
        events.record(assertion, note)
    except KubeError as error:
        log.warning("could not record event %s: %s", note.reason, error)
