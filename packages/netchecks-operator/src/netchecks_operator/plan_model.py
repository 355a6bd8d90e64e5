"""The plan's data (pure): what was observed, the settings planning reads, and what to write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ChildKind = Literal["ConfigMap", "CronJob", "Job"]


@dataclass(frozen=True)
class PlanSettings:
    """Only what planning reads of the operator's settings (built by ``OperatorSettings``).

    A separate object keeps :mod:`netchecks_operator.plan` free of the service
    plumbing the full settings import (HTTP server, telemetry, Kubernetes client).
    """

    probe_image: str
    probe_image_pull_policy: str
    #: ``{"requests": {...}, "limits": {...}}`` of the probe container.
    probe_resources: dict[str, Any]
    probe_pod_defaults: dict[str, Any]
    job_backoff_limit: int
    run_deadline_margin: int
    starting_deadline_seconds: int
    job_ttl_seconds: int


@dataclass(frozen=True)
class Action:
    """One write: create or replace ``body``, merge-patch ``kind/name`` with ``body``, or
    delete ``kind/name`` (guarded by ``uid``)."""

    verb: Literal["create", "replace", "patch", "delete"]
    kind: ChildKind
    name: str
    body: dict[str, Any] | None = None
    uid: str | None = None

    def __str__(self) -> str:
        return f"{self.verb} {self.kind} {self.name}"


@dataclass(frozen=True)
class EventNote:
    """An Event to record on the assertion."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Observed:
    """What exists now (from the caches): the assertion and the children found for it."""

    assertion: dict[str, Any]
    configmap: dict[str, Any] | None = None
    cronjob: dict[str, Any] | None = None
    jobs: Sequence[dict[str, Any]] = ()
    report: dict[str, Any] | None = None
    #: (pod name, message) of the FailedMount Events in the assertion's namespace.
    mount_failures: Sequence[tuple[str, str]] = ()
    #: Every Node of the cluster (for ``spec.placement.nodes``); None: not readable.
    nodes: Sequence[dict[str, Any]] | None = None


@dataclass
class Plan:
    """The writes to make, in order, the status to hold afterwards, and events to record."""

    actions: list[Action] = field(default_factory=list)
    #: The status body to write (built from ``NetworkAssertionStatus``), None for no write.
    status: dict[str, Any] | None = None
    events: list[EventNote] = field(default_factory=list)
    #: Why nothing is created (InvalidSpec), for logs and metrics.
    invalid: list[str] = field(default_factory=list)
    #: Plan again after this many seconds (the next schedule time of a per-node run).
    requeue_after: float | None = None
