"""Builders of netchecks objects for tests, bench and demo (not shipped in any wheel).

Example::

    a = AssertionBuilder("web").with_dns("example.test").with_severity("high").stored()
    job = probe_job(a)
    pod = probe_pod(a, job=job, phase="Succeeded", exit_code=0)
    log = output_document({"dns-0": "pass"})
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from netchecks_core.assertion import API_VERSION, KIND
from netchecks_core.naming import child_annotations, child_labels, probe_pod_labels


class AssertionBuilder:
    """A NetworkAssertion: ``build()`` is the manifest, ``stored()`` the object as read back."""

    def __init__(self, name: str = "web", namespace: str = "default") -> None:
        self.manifest: dict[str, Any] = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"rules": []},
        }

    @property
    def rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self.manifest["spec"]["rules"]
        return rules

    def with_rule(self, rule_type: str, name: str | None = None, **fields: Any) -> Self:
        """Add a rule (named ``<type>-<n>`` unless given)."""
        self.rules.append({"name": name or f"{rule_type}-{len(self.rules)}", "type": rule_type})
        self.rules[-1].update(fields)
        return self

    def with_http(self, url: str, **fields: Any) -> Self:
        """Add an http rule."""
        return self.with_rule("http", url=url, **fields)

    def with_dns(self, host: str, **fields: Any) -> Self:
        """Add a dns rule."""
        return self.with_rule("dns", host=host, **fields)

    def with_internal(self, pattern: str = "true", **fields: Any) -> Self:
        """Add an internal rule judged by ``pattern``."""
        return self.with_rule("internal", validate={"pattern": pattern}, **fields)

    def expect_fail(self) -> Self:
        """The last rule is expected to fail."""
        self.rules[-1]["expected"] = "fail"
        return self

    def with_message(self, message: str) -> Self:
        """The last rule's ``validate.message``."""
        self.rules[-1].setdefault("validate", {})["message"] = message
        return self

    def with_spec(self, **fields: Any) -> Self:
        """Other spec fields (``schedule``, ``template``, ``disableRedaction``...)."""
        self.manifest["spec"].update(fields)
        return self

    def with_context(self, name: str, **source: Any) -> Self:
        """Add a context (``configMap=...``, ``secret=...`` or ``inline=...``)."""
        self.manifest["spec"].setdefault("context", []).append({"name": name, **source})
        return self

    def with_annotations(self, **annotations: str) -> Self:
        """Add metadata annotations (keys with ``__`` for ``/``, ``_`` for ``-``)."""
        target = self.manifest["metadata"].setdefault("annotations", {})
        for key, value in annotations.items():
            target[key.replace("__", "/").replace("_", "-")] = value
        return self

    def with_severity(self, severity: str) -> Self:
        """The ``netchecks.io/severity`` annotation."""
        self.manifest["metadata"].setdefault("annotations", {})["netchecks.io/severity"] = severity
        return self

    def with_controls(self, controls: str) -> Self:
        """The ``netchecks.io/controls`` annotation."""
        self.manifest["metadata"].setdefault("annotations", {})["netchecks.io/controls"] = controls
        return self

    def build(self) -> dict[str, Any]:
        """The manifest."""
        return copy.deepcopy(self.manifest)

    def stored(self, uid: str = "uid-1", generation: int = 1, **status: Any) -> dict[str, Any]:
        """The manifest as read back from the API server (``status`` if given)."""
        obj = self.build()
        obj["metadata"].update(
            uid=uid,
            generation=generation,
            resourceVersion="10",
            creationTimestamp="2026-01-01T00:00:00Z",
        )
        if status:
            obj["status"] = status
        return obj


#: The probe container of the built Pods.
PROBE_CONTAINER = {"name": "probe", "image": "ghcr.io/x/netchecks-probe:0.1"}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def controller_reference(obj: dict[str, Any]) -> dict[str, Any]:
    """A controller owner reference to ``obj`` (as the API server stores it)."""
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def probe_job_manifest(
    assertion: dict[str, Any],
    container: dict[str, Any],
    *,
    name: str | None = None,
    generation: int = 1,
    owner: dict[str, Any] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A probe Job of ``assertion`` to create, as the operator makes it: its labels and
    annotations, controlled by ``owner`` (default: the assertion), one probe ``container``."""
    meta = assertion["metadata"]
    pod_spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        pod_spec["volumes"] = volumes
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name or f"{meta['name']}-netchecks-g{generation}",
            "labels": child_labels(meta["uid"]),
            "annotations": child_annotations(meta["name"], generation),
            "ownerReferences": [controller_reference(owner or assertion)],
        },
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {
                    "labels": probe_pod_labels(meta["uid"]),
                    "annotations": child_annotations(meta["name"]),
                },
                "spec": pod_spec,
            },
        },
    }


def probe_job(
    assertion: dict[str, Any],
    *,
    name: str | None = None,
    created: datetime | None = None,
    generation: int = 1,
    owner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A probe Job of ``assertion`` as read back from the API server."""
    job = probe_job_manifest(
        assertion, PROBE_CONTAINER, name=name, generation=generation, owner=owner
    )
    job["metadata"].update(
        namespace=assertion["metadata"]["namespace"],
        uid=str(uuid.uuid4()),
        creationTimestamp=_time(created or datetime(2025, 6, 1, 12, 0, tzinfo=UTC)),
    )
    return job


def probe_pod(
    assertion: dict[str, Any],
    *,
    job: dict[str, Any] | None = None,
    name: str | None = None,
    phase: str = "Succeeded",
    exit_code: int | None = 0,
    reason: str | None = None,
    waiting_reason: str | None = None,
    created: datetime | None = None,
    job_name: str | None = None,
    generation: int = 1,
) -> dict[str, Any]:
    """A probe Pod of ``assertion`` with the labels and annotations the operator sets.

    Controlled by ``job`` when given, else by a Job named ``job_name`` no cache knows.
    """
    meta = assertion["metadata"]
    created = created or datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    job_ref = (
        controller_reference(job)
        if job is not None
        else {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": job_name or f"{meta['name']}-netchecks-g1",
            "uid": str(uuid.uuid4()),
            "controller": True,
        }
    )
    job_label = job_ref["name"]
    state: dict[str, Any]
    if waiting_reason:
        state = {"waiting": {"reason": waiting_reason, "message": "image not found"}}
    elif exit_code is None:
        state = {"running": {"startedAt": _time(created + timedelta(seconds=1))}}
    else:
        state = {
            "terminated": {
                "exitCode": exit_code,
                "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                "startedAt": _time(created + timedelta(seconds=1)),
                "finishedAt": _time(created + timedelta(seconds=2)),
            }
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name or f"{job_label}-abcde",
            "namespace": meta["namespace"],
            "uid": str(uuid.uuid4()),
            "creationTimestamp": _time(created),
            "labels": {**probe_pod_labels(meta["uid"]), "batch.kubernetes.io/job-name": job_label},
            "annotations": child_annotations(meta["name"], generation),
            "ownerReferences": [job_ref],
        },
        "spec": {"containers": [dict(PROBE_CONTAINER)]},
        "status": {
            "phase": phase,
            "startTime": _time(created + timedelta(seconds=1)),
            "containerStatuses": [
                {
                    "name": "probe",
                    "image": "ghcr.io/x/netchecks-probe:0.1",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": state,
                }
            ],
        },
    }


def rule_result(
    status: str,
    *,
    data: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """One result of a probe output document."""
    result: dict[str, Any] = {"status": status, "spec": spec or {}, "data": data or {}}
    if message is not None:
        result["message"] = message
    return result


def output_document(results: Mapping[str, str | dict[str, Any]]) -> str:
    """A compact probe output line: rule name -> status (or a full :func:`rule_result`)."""
    assertions = []
    for name, value in results.items():
        result = rule_result(value) if isinstance(value, str) else dict(value)
        result.setdefault("name", name)
        assertions.append({"name": name, "results": [result]})
    return json.dumps(
        {
            "type": "netcheck-output",
            "outputVersion": "v1",
            "metadata": {"creationTimestamp": "2025-06-01T12:00:02+00:00", "version": "0.1.0"},
            "assertions": assertions,
        },
        separators=(",", ":"),
    )


#: Crafted logs that made parsing quadratic before it was budgeted (see :func:`hostile_log`).
HOSTILE_LOGS = (
    "brace-lines-far-close",
    "anchors-then-noise",
    "unterminated-strings",
    "pretty-blocks",
    "deep-nesting",
    "invalid-outputs",
)


def hostile_log(kind: str, size: int) -> str:
    """A crafted probe log of about ``size`` characters holding no valid output document."""
    anchor = '{"type": "netcheck-output", "assertions": [\n'
    if kind == "brace-lines-far-close":
        # Many line starts, then a long tail before the only closing line.
        head = '{"a": 1,\n' * (size // 20)
        return head + "x" * (size - len(head) - 20) + '\n"assertions"\n}\n'
    if kind == "anchors-then-noise":
        head = anchor * (size // 20 // len(anchor))
        return head + ("y" * 99 + "\n") * ((size - len(head)) // 100)
    if kind == "unterminated-strings":
        line = '{"type": "netcheck-output", "x": "' + "z" * 3000 + "\n"
        return line * (size // len(line))
    if kind == "pretty-blocks":
        block = "{\n" + '  "assertions": [1,\n' * 50 + "}\n"
        return block * (size // len(block))
    if kind == "deep-nesting":
        return '{"assertions": ' + "[" * (size - 20) + "\n"
    if kind == "invalid-outputs":
        line = json.dumps(
            {
                "type": "netcheck-output",
                "metadata": {},
                "assertions": [{"name": "a", "results": [{"status": "maybe"}] * 100}],
            }
        )
        return (line + "\n") * (size // (len(line) + 1))
    raise ValueError(f"unknown hostile log {kind!r}")
