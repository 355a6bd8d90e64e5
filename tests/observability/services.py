"""Both services' real ``/metrics`` after real work, and reading them (shared by the
observability and documentation tests)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netchecks_core.naming import probe_pod_labels

from tests.docs.markdown import code_names, first_code, page
from tests.results.harness import Cluster
from tools.harness import ServiceProcess, wait_for
from tools.targets.http import HttpServer


def exported(text: str) -> dict[str, set[str]]:
    """Metric name -> label names, from a Prometheus exposition."""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition("{")
        labels = (
            {part.split("=", 1)[0] for part in rest.split('",') if "=" in part} if rest else set()
        )
        found.setdefault(name.split(" ")[0], set()).update(label.strip() for label in labels)
    return found


class Services:
    """Both services against kubesim in a fresh namespace, with a local web target and
    two assertions: ``web`` (rule ``up`` passes, ``down`` fails) and a daily ``nightly``."""

    def __init__(self, kube_api: Any, kubeconfig: Path, logs: Path, prefix: str) -> None:
        from kubernetes import client

        self.namespace = f"{prefix}-{secrets.token_hex(3)}"
        client.CoreV1Api(kube_api).create_namespace({"metadata": {"name": self.namespace}})
        self.cluster = Cluster(kube_api, self.namespace)
        self.operator = ServiceProcess("netchecks-operator", kubeconfig, self.namespace, logs)
        self.results = ServiceProcess("netchecks-results", kubeconfig, self.namespace, logs)

    @contextlib.contextmanager
    def running(self) -> Iterator[Services]:
        """Start both services and the assertions; stop the services on the way out."""
        with HttpServer() as web:
            try:
                self.operator.start()
                self.results.start()
                self.cluster.create_assertion(
                    "web",
                    {
                        "rules": [
                            {"name": "up", "type": "http", "url": web.url("/json")},
                            {"name": "down", "type": "http", "url": web.url("/status/503")},
                        ]
                    },
                )
                self.cluster.create_assertion(
                    "nightly",
                    {"schedule": "0 3 * * *", "rules": [{"name": "a", "type": "internal"}]},
                )
                self.cluster.wait_report("web", timeout=60)
                yield self
            finally:
                self.operator.stop()
                self.results.stop()


@pytest.fixture(scope="module")
def expositions(
    netchecks_crds: None, kube_api: Any, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """Both services' /metrics after real work: a passing and failing run, a run without
    result, a scheduled assertion."""
    services = Services(kube_api, kubeconfig, tmp_path_factory.mktemp("services"), "observability")
    with services.running():
        cluster = services.cluster
        garbage = cluster.create_assertion(
            "garbage", {"rules": [{"name": "a", "type": "internal"}]}
        )
        cluster.run_probe(garbage, command=["python", "-c", "print('no result')"], image="python")
        # A bare Pod with the probe labels: ignored and counted as untrusted.
        cluster.create_pod(
            "forged",
            ["python", "-c", "print('forged')"],
            labels=probe_pod_labels(garbage["metadata"]["uid"]),
        )
        cluster.wait_report("garbage", timeout=60)
        wait_for(
            lambda: "netchecks_results_untrusted_pods_total" in services.results.metrics(),
            30,
            "the forged Pod counted",
        )
        return [services.operator.metrics(), services.results.metrics()]


#: Metrics that appear only once something rare happened (the series bound hit, a run
#: skipped): their type and labels are checked by the services' unit tests.
RARE = {"netchecks_results_rule_series_dropped_total", "netchecks_results_runs_skipped_total"}
#: Labels of every series (the OpenTelemetry scope) and of histogram buckets.
SCOPE_LABELS = {"otel_scope_name", "otel_scope_version", "otel_scope_schema_url", "le"}


def families(texts: list[str]) -> dict[str, tuple[str, frozenset[str]]]:
    """netchecks metric (as named in the docs) -> (type, label names), from the expositions."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, tuple[str, frozenset[str]]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            name = family.name + ("_total" if family.type == "counter" else "")
            if not name.startswith("netchecks_"):
                continue
            labels = {k for sample in family.samples for k in sample.labels} - SCOPE_LABELS
            found[name] = (family.type, frozenset(labels))
    return found


def documented_metrics() -> dict[str, tuple[str, frozenset[str]]]:
    (table,) = page("operating.md").tables_in("Metrics")
    names, types, labels = table.column(0), table.column(1), table.column(2)
    return {
        first_code(name): (kind.strip(), frozenset(code_names(label)))
        for name, kind, label in zip(names, types, labels, strict=True)
    }
