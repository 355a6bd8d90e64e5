"""Probe Pods that cannot start because a ConfigMap or Secret they mount is missing (pure).

The kubelet keeps such a Pod Pending (``ContainerCreating``) until the object appears,
and says why only in a Warning Event on the Pod: ``FailedMount`` with the message
``MountVolume.SetUp failed for volume "v" : secret "s" not found``. The operator watches
just those Events (no read access to Secrets needed: an Event names the object, never
its content), maps the Pod to its Job by name, and the volume to the context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from netchecks_core.assertion import AssertionContext

from netchecks_operator.podtemplate import context_volume_name

#: The Events the operator watches (field selector): mount failures of Pods.
MOUNT_FAILURE_SELECTOR = "involvedObject.kind=Pod,reason=FailedMount"
#: What the Job controller keeps of a Job's name in its Pods' ``generateName``.
_POD_NAME_BASE = 58
_NOT_FOUND = re.compile(
    r'MountVolume\.SetUp failed for volume "(?P<volume>[^"]*)" : '
    r'(?P<kind>configmap|secret) "(?P<name>[^"]*)" not found'
)


def pod_of_job(pod_name: str, job_name: str) -> bool:
    """Whether ``pod_name`` is one the Job controller makes for ``job_name``."""
    base = f"{job_name}-"[:_POD_NAME_BASE]
    return len(pod_name) == len(base) + 5 and pod_name.startswith(base)


def _never_started(job: dict[str, Any]) -> bool:
    status = job.get("status") or {}
    return not status.get("ready") and not status.get("succeeded")


def missing_objects(
    job: dict[str, Any],
    failures: Iterable[tuple[str, str]],
    contexts: Sequence[AssertionContext],
) -> str | None:
    """Why ``job``'s probe Pod cannot start (named objects), or None.

    ``failures`` are (pod name, message) of FailedMount Events. Once a Pod of the Job
    started, earlier mount failures are history.
    """
    if not _never_started(job):
        return None
    job_name = job["metadata"]["name"]
    by_volume = {context_volume_name(c.name): c.name for c in contexts}
    found: list[str] = []
    for pod, message in failures:
        if not pod_of_job(pod, job_name):
            continue
        match = _NOT_FOUND.search(message)
        if match is None:
            text = f"the probe Pod cannot mount a volume: {message}"
        else:
            kind = "ConfigMap" if match["kind"] == "configmap" else "Secret"
            context = by_volume.get(match["volume"])
            owner = f'context "{context}"' if context else f'volume "{match["volume"]}"'
            text = (
                f'{kind} "{match["name"]}" of {owner} not found: the probe Pod cannot start '
                f"until it exists (or mark the context optional)"
            )
        if text not in found:
            found.append(text)
    return "; ".join(sorted(found)) or None
