"""The results service's Kubernetes calls (through :mod:`netchecks_service.kube`).

This is the only module of the service that makes API requests; everything
else works on the plain dicts it returns, and on the informer caches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netchecks_core.naming import event_name
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.kube import (
    CRONJOBS,
    EVENTS,
    JOBS,
    PODS,
    KubeApi,
)

__all__ = [
    "CRONJOBS",
    "EVENTS",
    "JOBS",
    "NETWORK_ASSERTIONS",
    "PODS",
    "ResultsKube",
]

#: Who posts the Events (``source.component`` / ``reportingComponent``).
COMPONENT = "netchecks-results"


class ResultsKube:
    """The few API calls of the results service, JSON in and out."""

    def __init__(self, api: KubeApi, identity: str = COMPONENT) -> None:
        self.api = api
        self.identity = identity

    def get_assertion(self, namespace: str, name: str) -> dict[str, Any]:
        """Read a NetworkAssertion (NotFoundError if it is gone)."""
        return self.api.get(NETWORK_ASSERTIONS, name, namespace)

    def read_log(
        self, namespace: str, pod: str, container: str | None, max_bytes: int
    ) -> tuple[bytes, bool]:
        """The tail of a Pod's log and whether its start was cut off."""
        return self.api.read_log_tail(pod, namespace, container=container, max_bytes=max_bytes)

    def get_report(self, api: Resource, namespace: str, name: str) -> dict[str, Any]:
        """Read a report (NotFoundError if there is none)."""
        return self.api.get(api, name, namespace)

    def create_report(self, api: Resource, body: dict[str, Any]) -> dict[str, Any]:
        """Create a report (ConflictError ``AlreadyExists`` if one exists)."""
        return self.api.create(api, body, body["metadata"].get("namespace"))

    def replace_report(self, api: Resource, body: dict[str, Any]) -> dict[str, Any]:
        """Replace a report; its ``resourceVersion`` is the precondition (ConflictError)."""
        return self.api.replace(api, body, body["metadata"].get("namespace"))

    def post_event(
        self,
        regarding: dict[str, Any],
        *,
        event_type: str,
        reason: str,
        message: str,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """A core/v1 Event about ``regarding`` (an object as read from the API)."""
        meta = regarding.get("metadata") or {}
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        namespace = meta.get("namespace") or "default"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": event_name(str(meta.get("name")), int(moment.timestamp() * 1e9)),
                "namespace": namespace,
            },
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
            "message": message[:1024],
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self.identity,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        return self.api.create(EVENTS, body, namespace)
