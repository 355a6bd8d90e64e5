"""End-to-end helpers of the results service: a test's namespace, probe runs, reports.

Probe runs are made the way the operator makes them (a ConfigMap with the probe
config, a Job whose Pod carries the probe labels and annotations), so these tests
exercise the results service on its own; ``test_full_chain`` runs the operator too.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable
from typing import Any

from kubernetes import client
from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.convert import context_mount_path, probe_config_from_spec
from netchecks_core.policyreport import REPORT_APIS
from netchecks_core.resources import NETWORK_ASSERTIONS

from tools.builders import controller_reference, probe_job_manifest
from tools.harness import wait_for

#: The probe image of the cluster (kubesim runs any netchecks-probe image from this venv).
PROBE_IMAGE = os.environ.get("NETCHECKS_E2E_PROBE_IMAGE", "ghcr.io/netchecks/netchecks-probe:test")
GROUP, VERSION = NETWORK_ASSERTIONS.group, NETWORK_ASSERTIONS.version
PLURAL = NETWORK_ASSERTIONS.plural


class Cluster:
    """What a test does to kubesim through the official client, in its namespace."""

    def __init__(self, api: client.ApiClient, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self.core = client.CoreV1Api(api)
        self.batch = client.BatchV1Api(api)
        self.custom = client.CustomObjectsApi(api)

    # -- objects -----------------------------------------------------------------------

    def create_assertion(
        self, name: str, spec: dict[str, Any], **annotations: str
    ) -> dict[str, Any]:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "NetworkAssertion",
            "metadata": {"name": name, "annotations": annotations},
            "spec": spec,
        }
        created: dict[str, Any] = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, body
        )
        return created

    def create_assertion_text(self, text: str) -> None:
        """POST an assertion given as JSON text (the client cannot encode every document)."""
        config = self.api.configuration
        token = config.api_key.get("authorization") or config.api_key.get("BearerToken") or ""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = token if token.startswith("Bearer") else f"Bearer {token}"
        url = f"{config.host}/apis/{GROUP}/{VERSION}/namespaces/{self.namespace}/{PLURAL}"
        request = urllib.request.Request(url, data=text.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201

    def patch_assertion(self, name: str, patch: dict[str, Any]) -> None:
        """Merge-patch the assertion ``name`` (e.g. ``{"spec": {...}}``)."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, patch
        )

    def assertion_status(self, name: str) -> dict[str, Any]:
        """The assertion's ``status`` (empty until the operator wrote one)."""
        obj: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name
        )
        status: dict[str, Any] = obj.get("status") or {}
        return status

    def condition(self, name: str, kind: str = "Reconciled") -> dict[str, Any]:
        """The assertion's condition of type ``kind`` (empty until the operator wrote one)."""
        for condition in self.assertion_status(name).get("conditions") or []:
            if condition.get("type") == kind:
                return dict(condition)
        return {}

    def delete_assertion(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)

    def create_secret(self, name: str, data: dict[str, str]) -> None:
        self.core.create_namespaced_secret(
            self.namespace, {"metadata": {"name": name}, "stringData": data}
        )

    def create_configmap(self, name: str, data: dict[str, str]) -> None:
        self.core.create_namespaced_config_map(
            self.namespace, {"metadata": {"name": name}, "data": data}
        )

    def run_probe(
        self,
        assertion: dict[str, Any],
        run: str = "1",
        *,
        image: str = PROBE_IMAGE,
        command: list[str] | None = None,
        scheduled: str | None = None,
    ) -> str:
        """Run ``assertion`` once as the operator would (ConfigMap + Job); returns the Job name."""
        name = assertion["metadata"]["name"]
        spec = NetworkAssertionSpec.model_validate(assertion["spec"])
        cm_name = f"{name}-netchecks-config-{run}"
        self.core.create_namespaced_config_map(
            self.namespace,
            {
                "metadata": {"name": cm_name, "ownerReferences": [controller_reference(assertion)]},
                "data": {"config.json": json.dumps(probe_config_from_spec(spec))},
            },
        )
        volumes, mounts = _probe_volumes(spec, cm_name)
        probe = command or ["netchecks", "run", "--config", "/netcheck/config.json", "--exit-zero"]
        if command is None and spec.disable_redaction:
            probe.append("--disable-redaction")
        container = {"name": "probe", "image": image, "command": probe, "volumeMounts": mounts}
        job = probe_job_manifest(
            assertion,
            container,
            name=f"{name}-netchecks-{run}",
            generation=int(assertion["metadata"].get("generation") or 1),
            volumes=volumes,
        )
        if scheduled:
            job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] = (
                scheduled
            )
        self.batch.create_namespaced_job(self.namespace, job)
        return str(job["metadata"]["name"])

    def create_pod(
        self,
        name: str,
        command: list[str],
        *,
        labels: dict[str, str],
        annotations: dict[str, str] | None = None,
        owner: dict[str, Any] | None = None,
        namespace: str | None = None,
    ) -> None:
        """A bare Pod running ``command`` (for forgeries: any user can make one)."""
        meta: dict[str, Any] = {"name": name, "labels": labels, "annotations": annotations or {}}
        if owner is not None:
            meta["ownerReferences"] = [owner]
        self.core.create_namespaced_pod(
            namespace or self.namespace,
            {
                "metadata": meta,
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "probe", "image": "python:3.12", "command": command}],
                },
            },
        )

    def wait_pod_phase(self, name: str, namespace: str | None = None, timeout: float = 60) -> str:
        """Wait until the Pod ``name`` finished; returns its phase."""

        def done() -> str | None:
            pod = self.core.read_namespaced_pod(name, namespace or self.namespace)
            phase = pod.status.phase
            return phase if phase in ("Succeeded", "Failed") else None

        return wait_for(done, timeout, f"Pod {name} to finish")

    def job_pods(self, job_name: str) -> list[Any]:
        pods = self.core.list_namespaced_pod(
            self.namespace, label_selector=f"batch.kubernetes.io/job-name={job_name}"
        ).items
        return list(pods)

    def wait_pod_done(self, job_name: str, timeout: float = 60) -> Any:
        def done() -> Any:
            for pod in self.job_pods(job_name):
                if pod.status.phase in ("Succeeded", "Failed"):
                    return pod
            return None

        return wait_for(done, timeout, f"a finished Pod of Job {job_name}")

    # -- reports -----------------------------------------------------------------------

    def report(
        self, name: str, group: str = "wgpolicyk8s.io", version: str = "v1alpha2"
    ) -> dict[str, Any] | None:
        plural = REPORT_APIS[f"{group}/{version}"].plural
        try:
            found: dict[str, Any] = self.custom.get_namespaced_custom_object(
                group, version, self.namespace, plural, name
            )
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return found

    def wait_report(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _r: True,
        timeout: float = 60,
        **where: str,
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            report = self.report(name, **where)
            return report if report is not None and predicate(report) else None

        return wait_for(check, timeout, f"report {name} matching")

    def events(self, name: str, kind: str = "NetworkAssertion") -> list[Any]:
        """Events the results service posted about the object ``kind``/``name``."""
        items = self.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        return [
            e
            for e in items
            if (e.source and e.source.component) == "netchecks-results"
            and e.involved_object.kind == kind
        ]


def _probe_volumes(
    spec: NetworkAssertionSpec, configmap: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The probe Pod's volumes and mounts: its config, then each context's source."""
    volumes: list[dict[str, Any]] = [{"name": "config", "configMap": {"name": configmap}}]
    mounts: list[dict[str, Any]] = [{"name": "config", "mountPath": "/netcheck", "readOnly": True}]
    for context in spec.context:
        source = context.secret or context.config_map
        if source is None:
            continue
        kind = "secret" if context.secret is not None else "configMap"
        volume: dict[str, Any] = {"secretName" if kind == "secret" else "name": source.name}
        if source.items:
            volume["items"] = [i.model_dump(exclude_none=True) for i in source.items]
        volumes.append({"name": f"ctx-{context.name}", kind: volume})
        path = context_mount_path(context.name)
        mounts.append({"name": f"ctx-{context.name}", "mountPath": path, "readOnly": True})
    return volumes, mounts


def shows_job(job_name: str) -> Callable[[dict[str, Any]], bool]:
    """A report predicate: it shows the run of Job ``job_name``."""
    return lambda report: (
        (report["metadata"].get("annotations") or {}).get("netchecks.io/job-name") == job_name
    )


def results_of(report: dict[str, Any]) -> dict[str, str]:
    """rule -> result of a report."""
    return {r["rule"]: r["result"] for r in report.get("results") or []}


def dump(value: Any) -> str:
    """Everything a report, event or log says, as one text (for redaction checks)."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """The value of one Prometheus sample."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(r"^(\w+)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return None
