"""The results service's Kubernetes calls (through :mod:`netchecks_core.service.kube`).

This is the only module of the service that makes API requests; everything
else works on the plain dicts it returns, and on the informer caches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netchecks_core.events import event_body
from netchecks_core.policyreport import ReportApi
from netchecks_core.service.kube import (
    CRONJOBS,
    EVENTS,
    JOBS,
    NETWORK_ASSERTIONS,
    PODS,
    KubeApi,
    Resource,
)

__all__ = [
    "CRONJOBS",
    "EVENTS",
    "JOBS",
    "NETWORK_ASSERTIONS",
    "PODS",
    "ResultsKube",
    "report_resource",
]

#: Who posts the Events (``source.component`` / ``reportingComponent``).
COMPONENT = "netchecks-results"


def report_resource(api: ReportApi) -> Resource:
    """The API resource of a report API."""
    return Resource(api.group, api.version, api.plural, api.kind, api.namespaced)


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

    def get_report(self, api: ReportApi, namespace: str, name: str) -> dict[str, Any]:
        """Read a report (NotFoundError if there is none)."""
        return self.api.get(report_resource(api), name, namespace)

    def create_report(self, api: ReportApi, body: dict[str, Any]) -> dict[str, Any]:
        """Create a report (ConflictError ``AlreadyExists`` if one exists)."""
        return self.api.create(report_resource(api), body, body["metadata"].get("namespace"))

    def replace_report(self, api: ReportApi, body: dict[str, Any]) -> dict[str, Any]:
        """Replace a report; its ``resourceVersion`` is the precondition (ConflictError)."""
        return self.api.replace(report_resource(api), body, body["metadata"].get("namespace"))

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
        body = event_body(
            regarding,
            event_type=event_type,
            reason=reason,
            message=message,
            component=COMPONENT,
            instance=self.identity,
            now=now,
        )
        return self.api.create(EVENTS, body, body["metadata"]["namespace"])
