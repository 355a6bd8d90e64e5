"""The results service's Kubernetes calls (through :mod:`netchecks_service.kube`).

This is the only module of the service that makes API requests: the writes and reads of
:class:`ResultsKube`, and the list + watch caches of :class:`ResultsCaches`; everything
else works on the plain dicts they return.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from netchecks_core.events import event_body
from netchecks_core.naming import (
    LABEL_ASSERTION_UID,
    LABEL_MANAGED_BY,
    MANAGED_BY_RESULTS,
    OPERATOR_SELECTOR,
    PROBE_POD_SELECTOR,
)
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.cachefilters import Transform, keep
from netchecks_service.informer import Handler, InformerGroup
from netchecks_service.kube import CRONJOBS, EVENTS, JOBS, PODS, KubeApi

from netchecks_results.noderuns import job_fields
from netchecks_results.runs import probe_pod_fields

#: An assertion as the results service keys it: (namespace, uid).
AssertionKey = tuple[str, str]


def assertion_key(obj: dict[str, Any]) -> AssertionKey | None:
    """The (namespace, uid) of the assertion an object is labelled with, if any."""
    meta = obj.get("metadata") or {}
    uid = (meta.get("labels") or {}).get(LABEL_ASSERTION_UID)
    return (str(meta.get("namespace") or ""), str(uid)) if uid else None


class ResultsCaches:
    """The informers: probe Pods, the operator's Jobs and CronJobs, assertions, our reports."""

    def __init__(
        self,
        api: KubeApi,
        namespaces: list[str],
        report_apis: list[Resource],
        watch_timeout: int,
    ) -> None:
        self.stop = threading.Event()

        def group(
            resource: Resource, selector: str | None = None, **options: Transform
        ) -> InformerGroup:
            return InformerGroup(
                api,
                resource,
                namespaces,
                stop=self.stop,
                label_selector=selector,
                watch_timeout=watch_timeout,
                **options,
            )

        # Each cache keeps what is read of it (and so hears only of changes to that): a
        # Pod as a run, the controller chain of Jobs and CronJobs, an assertion's spec.
        self.pods = group(PODS, PROBE_POD_SELECTOR, transform=probe_pod_fields)
        self.jobs = group(JOBS, OPERATOR_SELECTOR, transform=job_fields)
        self.cronjobs = group(CRONJOBS, OPERATOR_SELECTOR, transform=keep())
        self.assertions = group(NETWORK_ASSERTIONS, transform=keep("spec"))
        ours = f"{LABEL_MANAGED_BY}={MANAGED_BY_RESULTS}"
        self.reports = {report_api: group(report_api, ours) for report_api in report_apis}
        #: Cached probe Pods by the assertion they name: a reconcile reads one entry.
        self._pods_by_assertion: dict[AssertionKey, dict[str, dict[str, Any]]] = {}
        self._pods_lock = threading.Lock()
        self.pods.add_handler(self._index_pod)  # first: the index is current for later handlers

    def _index_pod(self, kind: str, pod: dict[str, Any]) -> None:
        key = assertion_key(pod)
        if key is None:
            return
        name = str((pod.get("metadata") or {}).get("name") or "")
        with self._pods_lock:
            pods = self._pods_by_assertion.setdefault(key, {})
            if kind != "DELETED":
                pods[name] = pod
                return
            pods.pop(name, None)
            if not pods:
                del self._pods_by_assertion[key]

    def pods_of(self, key: AssertionKey) -> list[dict[str, Any]]:
        """The cached probe Pods of an assertion."""
        with self._pods_lock:
            return list(self._pods_by_assertion.get(key, {}).values())

    def assertions_with_pods(self) -> list[AssertionKey]:
        """Every assertion some cached probe Pod names."""
        with self._pods_lock:
            return list(self._pods_by_assertion)

    def groups(self) -> list[InformerGroup]:
        """Every informer group."""
        return [self.pods, self.jobs, self.cronjobs, self.assertions, *self.reports.values()]

    def on_owner_events(self, handler: Handler) -> None:
        """``handler`` sees the events of the operator's Jobs and CronJobs."""
        self.jobs.add_handler(handler)
        self.cronjobs.add_handler(handler)

    def job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A cached Job of the operator (:class:`netchecks_results.trust.Caches`)."""
        return self.jobs.get(namespace, name)

    def cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A cached CronJob of the operator (:class:`netchecks_results.trust.Caches`)."""
        return self.cronjobs.get(namespace, name)

    def close(self) -> None:
        """Stop the informers."""
        self.stop.set()


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
