"""The resource types kubesim serves: built-ins plus those that CRDs register."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import GroupResource

Obj = dict[str, Any]

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    """One served resource (group, version, plural) and the strategy flags it needs."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    builtin: bool = True
    #: Propagation when a DELETE names none (batch/v1 Job keeps "Orphan").
    default_propagation: str = "Background"
    has_generation: bool = False
    #: Field selector labels beyond metadata.name / metadata.namespace.
    field_labels: tuple[str, ...] = ()
    #: Storage identity; events.k8s.io events share core events' storage.
    storage_group: str | None = None
    storage_plural: str | None = None
    #: Verbs discovery lists (empty: all of VERBS); the reviews only take "create".
    verbs: tuple[str, ...] = ()
    #: For custom resources: the CRD version entry (schema, subresources, ...).
    crd_version: Obj | None = field(default=None, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> GroupResource:
        return GroupResource(self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def storage_key(self) -> tuple[str, str]:
        return (
            self.group if self.storage_group is None else self.storage_group,
            self.plural if self.storage_plural is None else self.storage_plural,
        )

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
)
_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)

BUILTINS: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        False,
        ("status", "finalize"),
        ("ns",),
        field_labels=("status.phase",),
    ),
    ResourceType(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        False,
        ("status",),
        ("no",),
        field_labels=("spec.unschedulable",),
    ),
    ResourceType("", "v1", "configmaps", "configmap", "ConfigMap", True, (), ("cm",)),
    ResourceType("", "v1", "secrets", "secret", "Secret", True, (), (), field_labels=("type",)),
    ResourceType(
        "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, (), ("sa",)
    ),
    ResourceType(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        True,
        ("status", "log"),
        ("po",),
        ("all",),
        has_generation=True,
        field_labels=_POD_FIELDS,
    ),
    ResourceType(
        "", "v1", "events", "event", "Event", True, (), ("ev",), field_labels=_EVENT_FIELDS
    ),
    ResourceType(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        True,
        (),
        ("ev",),
        storage_group="",
        storage_plural="events",
    ),
    ResourceType(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        True,
        ("status",),
        (),
        ("all",),
        default_propagation="Orphan",
        has_generation=True,
        field_labels=("status.successful",),
    ),
    ResourceType(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        True,
        ("status",),
        ("cj",),
        ("all",),
        has_generation=True,
    ),
    ResourceType("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        False,
        ("status",),
        ("crd", "crds"),
        ("api-extensions",),
        has_generation=True,
    ),
)


class Registry:
    """Served resource types, looked up by URL or by apiVersion and kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        for rt in BUILTINS:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        with self._lock:
            self._by_path[(rt.group, rt.version, rt.plural)] = rt

    def remove_group_resource(self, group: str, plural: str) -> None:
        with self._lock:
            for key in [k for k in self._by_path if k[0] == group and k[2] == plural]:
                del self._by_path[key]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self.all():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def for_storage(self, key: tuple[str, str]) -> list[ResourceType]:
        return [rt for rt in self.all() if rt.storage_key == key]

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._by_path.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Named groups (not core) and their served versions, in registration order."""
        out: dict[str, list[str]] = {}
        for rt in self.all():
            if rt.group and rt.version not in out.setdefault(rt.group, []):
                out[rt.group].append(rt.version)
        return out
