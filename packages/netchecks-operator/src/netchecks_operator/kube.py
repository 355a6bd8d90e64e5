"""Cluster access of the operator: the API client, the caches (informers), and the writes.

The only module of this package that talks to the Kubernetes API (through
:mod:`netchecks_service.kube`, the only importer of the client). Reads
come from the caches; every write goes through :class:`Cluster` and is put
back into the cache, so a following reconcile sees it without a GET.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from netchecks_core import naming
from netchecks_core.policyreport import REPORT_APIS
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.errors import ConflictError, NotFoundError
from netchecks_service.informer import Informer
from netchecks_service.kube import (
    CONFIGMAPS,
    CRONJOBS,
    EVENTS,
    JOBS,
    KubeApi,
    load_api_client,
)

from netchecks_operator.mounts import MOUNT_FAILURE_SELECTOR, pod_of_job
from netchecks_operator.plan import Action, NameTakenError, Observed, owned_by
from netchecks_operator.settings import OperatorSettings

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]

KINDS: dict[str, Resource] = {"ConfigMap": CONFIGMAPS, "CronJob": CRONJOBS, "Job": JOBS}


class Cluster:
    """Informers over assertions, their children and PolicyReports, plus the write verbs."""

    def __init__(self, settings: OperatorSettings, api: KubeApi | None = None) -> None:
        self.settings = settings
        self.api = api or KubeApi(load_api_client(settings.kubeconfig))
        self.stop = threading.Event()
        self.reports = REPORT_APIS[settings.policy_report_api_version]
        namespaces: list[str | None] = list(settings.namespaces) or [None]
        self.informers: dict[str, list[Informer]] = {}
        for kind, resource, selector, fields, optional in (
            ("assertions", NETWORK_ASSERTIONS, None, None, False),
            ("configmaps", CONFIGMAPS, naming.OPERATOR_SELECTOR, None, False),
            ("cronjobs", CRONJOBS, naming.OPERATOR_SELECTOR, None, False),
            ("jobs", JOBS, naming.OPERATOR_SELECTOR, None, False),
            ("reports", self.reports, None, None, True),
            # Why a probe Pod cannot start; see mounts.py (no read access to Secrets).
            ("mountfailures", EVENTS, None, MOUNT_FAILURE_SELECTOR, False),
        ):
            self.informers[kind] = [
                Informer(
                    self.api,
                    resource,
                    namespace=ns,
                    label_selector=selector,
                    field_selector=fields,
                    watch_timeout=settings.watch_timeout,
                    stop=self.stop,
                    optional=optional,
                )
                for ns in namespaces
            ]

    # -- running ---------------------------------------------------------------------------

    def on_events(self, kind: str, handler: Handler) -> None:
        """Call ``handler(event_type, obj)`` for every event of one kind of informer."""
        for informer in self.informers[kind]:
            informer.handlers.append(handler)

    def start(self) -> None:
        """Start every informer."""
        for informers in self.informers.values():
            for informer in informers:
                informer.start()

    def synced(self) -> bool:
        """Whether every informer has listed once."""
        return all(i.synced.is_set() for group in self.informers.values() for i in group)

    def close(self) -> None:
        """Stop the informers."""
        self.stop.set()

    # -- reads (cache only) ------------------------------------------------------------------

    def _informer(self, kind: str, namespace: str) -> Informer:
        group = self.informers[kind]
        if len(group) == 1:
            return group[0]
        return next(i for i in group if i.namespace == namespace)

    def assertion(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached assertion."""
        return self._informer("assertions", namespace).get(namespace, name)

    def assertions(self) -> list[dict[str, Any]]:
        """Every cached assertion."""
        return [a for i in self.informers["assertions"] for a in i.items()]

    def cronjob(self, assertion: dict[str, Any]) -> dict[str, Any] | None:
        """The cached CronJob of a scheduled assertion (None: there is none of ours)."""
        meta = assertion["metadata"]
        namespace = meta["namespace"]
        cronjob = self._informer("cronjobs", namespace).get(
            namespace, naming.cronjob_name(meta["name"])
        )
        labels = ((cronjob or {}).get("metadata") or {}).get("labels") or {}
        return cronjob if labels.get(naming.LABEL_ASSERTION_UID) == meta.get("uid") else None

    def observe(self, assertion: dict[str, Any]) -> Observed:
        """Children of an assertion as the caches hold them."""
        meta = assertion["metadata"]
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]
        jobs = [
            job
            for job in self._informer("jobs", namespace).items()
            if job["metadata"].get("namespace") == namespace
            and (job["metadata"].get("labels") or {}).get(naming.LABEL_ASSERTION_UID) == uid
        ]
        report = self._informer("reports", namespace).get(
            namespace, naming.policy_report_name(name)
        )
        if report is not None and not _about(report, uid):
            report = None
        failures = [
            (str(e["involvedObject"].get("name") or ""), str(e.get("message") or ""))
            for e in self._informer("mountfailures", namespace).items()
            if e["metadata"].get("namespace") == namespace
        ]
        return Observed(
            assertion=assertion,
            mount_failures=failures,
            configmap=self._informer("configmaps", namespace).get(
                namespace, naming.configmap_name(name)
            ),
            cronjob=self._informer("cronjobs", namespace).get(namespace, naming.cronjob_name(name)),
            jobs=jobs,
            report=report,
        )

    def job_of_pod(self, namespace: str, pod_name: str) -> dict[str, Any] | None:
        """The cached Job (of ours) that made the Pod named ``pod_name``."""
        return next(
            (
                job
                for job in self._informer("jobs", namespace).items()
                if job["metadata"].get("namespace") == namespace
                and pod_of_job(pod_name, job["metadata"]["name"])
            ),
            None,
        )

    # -- writes ----------------------------------------------------------------------------

    def apply(self, namespace: str, action: Action) -> None:
        """Make one planned write and keep the cache current."""
        resource = KINDS[action.kind]
        informer = self._informer(
            {"ConfigMap": "configmaps", "CronJob": "cronjobs", "Job": "jobs"}[action.kind],
            namespace,
        )
        if action.verb == "delete":
            try:
                self.api.delete(resource, action.name, namespace, uid=action.uid)
            except NotFoundError:
                pass
            except ConflictError as error:  # a precondition failed: a different object now
                log.info("not deleting %s: %s", action, error)
            informer.forget(namespace, action.name)
            return
        assert action.body is not None
        if action.verb == "create":
            try:
                written = self.api.create(resource, action.body, namespace)
            except ConflictError as error:
                if error.reason != "AlreadyExists":
                    raise
                existing = self.api.get(resource, action.name, namespace)
                if owned_by(existing, action.body["metadata"]["ownerReferences"][0]["uid"]):
                    informer.remember(existing)  # ours, not yet in the cache: plan again
                    raise
                raise NameTakenError(
                    f"{action.kind} {action.name} exists and is not owned by this assertion; "
                    "rename or delete it"
                ) from error
        else:
            written = self.api.replace(resource, action.body, namespace)
        informer.remember(written)

    def write_status(self, assertion: dict[str, Any], status: dict[str, Any]) -> None:
        """Merge-patch the assertion's status (fields no longer present are removed)."""
        meta = assertion["metadata"]
        old = assertion.get("status") or {}
        patch: dict[str, Any] = {key: None for key in old if key not in status}
        patch.update(status)
        body = {"metadata": {"resourceVersion": meta.get("resourceVersion")}, "status": patch}
        written = self.api.patch(
            NETWORK_ASSERTIONS, meta["name"], body, meta["namespace"], sub="status"
        )
        self._informer("assertions", meta["namespace"]).remember(written)

    def record_event(self, body: dict[str, Any], namespace: str) -> None:
        """Create a core/v1 Event."""
        self.api.create(EVENTS, body, namespace)


def _about(report: dict[str, Any], uid: str) -> bool:
    refs = (report.get("metadata") or {}).get("ownerReferences") or []
    labels = (report.get("metadata") or {}).get("labels") or {}
    if refs:
        return any(r.get("uid") == uid for r in refs)
    return labels.get(naming.LABEL_ASSERTION_UID) in (None, uid)
