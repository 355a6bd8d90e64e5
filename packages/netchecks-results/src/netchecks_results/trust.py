"""Which probe Pods are runs the operator made (pure): the controller chain to the assertion.

Anyone who can create a Pod can give it the probe labels and annotations, so they
prove nothing. A Pod counts as a run of an assertion only when the informer caches
show its controller chain ends at that assertion, all in the Pod's namespace:

- Pod -> Job (the Job is in the cache with the UID the Pod's reference names), and
- the Job is controlled by the assertion itself (a one-shot or run-now Job), or by a
  CronJob in the cache that is controlled by the assertion (a scheduled run);
- the assertion UID reached is the one the Pod's ``netchecks.io/assertion-uid``
  label claims (the label only finds the Pod; the chain proves it).

Owner references never cross namespaces, so a Pod in one namespace can never reach an
assertion in another. What the chain cannot prove (someone allowed to create Jobs
with a controller reference to the assertion) is written down in docs/operating.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from netchecks_core.assertion import API_VERSION, KIND
from netchecks_core.meta import metadata_of
from netchecks_core.naming import LABEL_ASSERTION_UID

#: Why a Pod is not believed (bounded: the label values of the untrusted-Pod counter).
UntrustedReason = Literal[
    "no-controller", "unknown-job", "foreign-job", "unknown-cronjob", "foreign-cronjob", "wrong-uid"
]
#: What each reason means, for the log line.
EXPLANATIONS: dict[UntrustedReason, str] = {
    "no-controller": "it is not controlled by a Job",
    "unknown-job": "its controlling Job is not one the operator made (not found)",
    "foreign-job": "its Job is not controlled by a NetworkAssertion or its CronJob",
    "unknown-cronjob": "its Job's CronJob is not one the operator made (not found)",
    "foreign-cronjob": "its Job's CronJob is not controlled by a NetworkAssertion",
    "wrong-uid": "its controller chain reaches another assertion than its label names",
}


class Caches(Protocol):
    """Cached reads of the objects a chain goes through (no API request)."""

    def job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A Job made by the operator (or by its CronJobs), if cached."""

    def cronjob(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A CronJob made by the operator, if cached."""


@dataclass(frozen=True)
class Provenance:
    """A Pod proven to be a run of an assertion: its Job and the assertion it reaches."""

    job: dict[str, Any]
    assertion_name: str
    assertion_uid: str


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The controller owner reference of ``obj`` (there is at most one), or None."""
    for ref in metadata_of(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref
    return None


def _is(ref: dict[str, Any] | None, api_version: str, kind: str) -> bool:
    return ref is not None and ref.get("apiVersion") == api_version and ref.get("kind") == kind


def _uid(obj: dict[str, Any]) -> str:
    return str(metadata_of(obj).get("uid") or "")


def _referenced(
    ref: dict[str, Any], read: Callable[[str, str], dict[str, Any] | None], namespace: str
) -> dict[str, Any] | None:
    found = read(namespace, str(ref.get("name") or ""))
    if found is None or _uid(found) != str(ref.get("uid") or "") or not _uid(found):
        return None
    return found


def trace(pod: dict[str, Any], caches: Caches) -> Provenance | UntrustedReason:
    """The assertion ``pod`` is a run of, proven by its controller chain, or why it is not."""
    meta = metadata_of(pod)
    namespace = str(meta.get("namespace") or "")
    job_ref = controller_of(pod)
    if not _is(job_ref, "batch/v1", "Job"):
        return "no-controller"
    assert job_ref is not None
    job = _referenced(job_ref, caches.job, namespace)
    if job is None:
        return "unknown-job"
    owner = controller_of(job)
    if _is(owner, "batch/v1", "CronJob"):
        assert owner is not None
        cronjob = _referenced(owner, caches.cronjob, namespace)
        if cronjob is None:
            return "unknown-cronjob"
        owner = controller_of(cronjob)
        if not _is(owner, API_VERSION, KIND):
            return "foreign-cronjob"
    elif not _is(owner, API_VERSION, KIND):
        return "foreign-job"
    assert owner is not None
    uid = str(owner.get("uid") or "")
    if not uid or uid != (meta.get("labels") or {}).get(LABEL_ASSERTION_UID):
        return "wrong-uid"
    return Provenance(job=job, assertion_name=str(owner.get("name") or ""), assertion_uid=uid)
