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
from netchecks_core.meta import labels_of, metadata_of
from netchecks_core.policyreport import REPORT_APIS
from netchecks_core.resources import NETWORK_ASSERTIONS, Resource
from netchecks_service.cachefilters import changed_except_status
from netchecks_service.errors import ConflictError, NotFoundError
from netchecks_service.informer import InformerGroup
from netchecks_service.kube import (
    CONFIGMAPS,
    CRONJOBS,
    EVENTS,
    JOBS,
    KubeApi,
    load_api_client,
)

from netchecks_operator.caching import (
    BY_ASSERTION,
    JOB_INDEXERS,
    assertion_fields,
    configmap_fields,
    cronjob_fields,
    job_fields,
    job_update_matters,
    report_fields,
)
from netchecks_operator.children import owned_by
from netchecks_operator.errors import NameTakenError
from netchecks_operator.mounts import MOUNT_FAILURE_SELECTOR, pod_of_job
from netchecks_operator.plan_model import Action, Observed
from netchecks_operator.settings import OperatorSettings

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]

#: Nodes, read for per-node runs (``spec.placement.nodes``); cluster-scoped.
NODES = Resource("", "v1", "nodes", "Node", namespaced=False)

#: The resource of each kind of child (its plural also names the child's informer).
KINDS: dict[str, Resource] = {"ConfigMap": CONFIGMAPS, "CronJob": CRONJOBS, "Job": JOBS}


class Cluster:
    """Informers over assertions, their children and PolicyReports, plus the write verbs."""

    def __init__(self, settings: OperatorSettings, api: KubeApi | None = None) -> None:
        self.settings = settings
        self.api = api or KubeApi(load_api_client(settings.kubeconfig))
        self.stop = threading.Event()
        self.reports = REPORT_APIS[settings.policy_report_api_version]
        self.informers: dict[str, InformerGroup] = {}
        # What each cache keeps and which updates wake a reconcile: see caching.py.
        options: dict[str, dict[str, Any]] = {
            "assertions": {"transform": assertion_fields, "relevant": changed_except_status},
            "configmaps": {"transform": configmap_fields},
            "cronjobs": {"transform": cronjob_fields},
            "jobs": {
                "transform": job_fields,
                "indexers": JOB_INDEXERS,
                "relevant": job_update_matters(self.cannot_mount),
            },
            "reports": {"transform": report_fields},
        }
        for kind, resource, selector, fields, optional in (
            ("assertions", NETWORK_ASSERTIONS, None, None, False),
            ("configmaps", CONFIGMAPS, naming.OPERATOR_SELECTOR, None, False),
            ("cronjobs", CRONJOBS, naming.OPERATOR_SELECTOR, None, False),
            ("jobs", JOBS, naming.OPERATOR_SELECTOR, None, False),
            ("reports", self.reports, None, None, True),
            # Why a probe Pod cannot start; see mounts.py (no read access to Secrets).
            ("mountfailures", EVENTS, None, MOUNT_FAILURE_SELECTOR, False),
        ):
            self.informers[kind] = InformerGroup(
                self.api,
                resource,
                settings.namespaces,
                stop=self.stop,
                label_selector=selector,
                field_selector=fields,
                watch_timeout=settings.watch_timeout,
                optional=optional,
                **options.get(kind, {}),
            )
        if settings.watch_nodes:
            # One cluster-wide watch (a Node has no namespace), whatever namespaces are
            # watched. Real Node objects are large (images, capacity): memory is O(nodes).
            self.informers["nodes"] = InformerGroup(
                self.api, NODES, [], stop=self.stop, watch_timeout=settings.watch_timeout
            )

    # -- running ---------------------------------------------------------------------------

    def on_events(self, kind: str, handler: Handler) -> None:
        """Call ``handler(event_type, obj)`` for every event of one kind of informer (if
        that informer runs: ``nodes`` only with ``watch_nodes``)."""
        if kind in self.informers:
            self.informers[kind].add_handler(handler)

    def close(self) -> None:
        """Stop the informers."""
        self.stop.set()

    # -- reads (cache only) ------------------------------------------------------------------

    def assertion(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached assertion."""
        return self.informers["assertions"].get(namespace, name)

    def assertions(self) -> list[dict[str, Any]]:
        """Every cached assertion."""
        return self.informers["assertions"].items()

    def cronjob(self, assertion: dict[str, Any]) -> dict[str, Any] | None:
        """The cached CronJob of a scheduled assertion (None: there is none of ours)."""
        meta = assertion["metadata"]
        namespace = meta["namespace"]
        cronjob = self.informers["cronjobs"].get(namespace, naming.cronjob_name(meta["name"]))
        labels = labels_of(cronjob)
        return cronjob if labels.get(naming.LABEL_ASSERTION_UID) == meta.get("uid") else None

    def observe(self, assertion: dict[str, Any]) -> Observed:
        """Children of an assertion as the caches hold them."""
        meta = assertion["metadata"]
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]
        jobs = [
            job
            for job in self.informers["jobs"].indexed(BY_ASSERTION, uid)
            if metadata_of(job).get("namespace") == namespace
        ]
        report = self.report(assertion)
        failures = [
            (str(e["involvedObject"].get("name") or ""), str(e.get("message") or ""))
            for e in self.informers["mountfailures"].items(namespace)
        ]
        return Observed(
            assertion=assertion,
            nodes=self.nodes(),
            mount_failures=failures,
            configmap=self.informers["configmaps"].get(namespace, naming.configmap_name(name)),
            cronjob=self.informers["cronjobs"].get(namespace, naming.cronjob_name(name)),
            jobs=jobs,
            report=report,
        )

    def report(self, assertion: dict[str, Any]) -> dict[str, Any] | None:
        """The cached PolicyReport of an assertion (None: none about it)."""
        meta = assertion["metadata"]
        name = naming.policy_report_name(meta["name"])
        report = self.informers["reports"].get(meta["namespace"], name)
        return report if report is not None and _about(report, meta["uid"]) else None

    def cannot_mount(self, namespace: str, job_name: str) -> bool:
        """Whether a Pod of the Job reported a volume it cannot mount (a FailedMount Event)."""
        return any(
            pod_of_job(str(e["involvedObject"].get("name") or ""), job_name)
            for e in self.informers["mountfailures"].items(namespace)
        )

    def nodes(self) -> list[dict[str, Any]] | None:
        """Every cached Node (None: Nodes cannot be listed, e.g. no RBAC for them)."""
        group = self.informers.get("nodes")
        if group is None or not group.synced():
            return None
        return group.items()

    def job_of_pod(self, namespace: str, pod_name: str) -> dict[str, Any] | None:
        """The cached Job (of ours) that made the Pod named ``pod_name``."""
        return next(
            (
                job
                for job in self.informers["jobs"].items(namespace)
                if pod_of_job(pod_name, job["metadata"]["name"])
            ),
            None,
        )

    # -- writes ----------------------------------------------------------------------------

    def apply(self, namespace: str, action: Action) -> None:
        """Make one planned write and keep the cache current."""
        resource = KINDS[action.kind]
        informer = self.informers[resource.plural]
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
                raise NameTakenError(action.kind, action.name) from error
        elif action.verb == "patch":
            written = self.api.patch(resource, action.name, action.body, namespace)
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
        self.informers["assertions"].remember(written)

    def record_event(self, body: dict[str, Any], namespace: str) -> None:
        """Create a core/v1 Event."""
        self.api.create(EVENTS, body, namespace)


def _about(report: dict[str, Any], uid: str) -> bool:
    refs = metadata_of(report).get("ownerReferences") or []
    labels = labels_of(report)
    if refs:
        return any(r.get("uid") == uid for r in refs)
    return labels.get(naming.LABEL_ASSERTION_UID) in (None, uid)
