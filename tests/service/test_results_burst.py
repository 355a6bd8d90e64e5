"""The results service under a burst: every probe Pod processed once, two calls per Pod.

The results controller runs in-process with its workers (events drive it, as in a
cluster) against the session's kubesim. Many one-shot runs finish at once: each is a Job
controlled by its assertion, as the operator makes it, whose Pod prints a real probe
output document. kubesim's request log shows what each Pod cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from netchecks_core.naming import policy_report_name
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_results.controller import ResultsController
from netchecks_results.metrics import ResultsMetrics
from netchecks_results.settings import ResultsSettings
from netchecks_service.kube import JOBS, KubeApi

from tools.builders import output_document, probe_job_manifest
from tools.harness import install_crds
from tools.kubesim import KubeSim
from tools.kubesim.testing import wait_for

BURST = 12


@pytest.fixture
def results(kubesim: KubeSim, kube: KubeApi, kube_namespace: str) -> Iterator[ResultsController]:
    install_crds(kube)
    settings = ResultsSettings(namespaces=[kube_namespace], identity="results-burst", workers=4)
    controller = ResultsController(settings, kube, ResultsMetrics())
    groups = controller.caches.groups()
    for group in groups:
        group.start()
    wait_for(lambda: all(g.synced() for g in groups), timeout=10, what="caches synced")
    controller.start()
    controller.start_leading()
    yield controller
    controller.stop_leading()
    controller.shutdown()
    controller.caches.close()


def assertion(index: int, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": f"a{index:02d}", "namespace": namespace},
        "spec": {"rules": [{"name": "r", "type": "internal", "validate": {"pattern": "true"}}]},
    }


def test_a_burst_of_finished_pods_is_processed_once_each_with_two_calls_per_pod(
    kubesim: KubeSim, kube: KubeApi, kube_namespace: str, results: ResultsController
) -> None:
    ns = kube_namespace
    output = output_document({"r": "pass"})
    made = [kube.create(NETWORK_ASSERTIONS, assertion(i, ns), ns) for i in range(BURST)]
    kubesim.requests.clear()
    job_names: list[str] = []
    for stored in made:
        container = {
            "name": "probe",
            "image": "busybox",
            "command": ["sh", "-c", 'printf "%s\\n" "$OUT"'],
            "env": [{"name": "OUT", "value": output}],
        }
        job = kube.create(JOBS, probe_job_manifest(stored, container), ns)
        job_names.append(job["metadata"]["name"])
    reports = {policy_report_name(a["metadata"]["name"]) for a in made}

    def all_reported() -> bool:
        rt = kubesim.api.resource(
            DEFAULT_REPORT_API.group, DEFAULT_REPORT_API.version, DEFAULT_REPORT_API.plural
        )
        return all(kubesim.api.find(rt, ns, name) is not None for name in reports)

    wait_for(all_reported, timeout=60, what=f"{BURST} reports")

    def jobs_complete() -> bool:  # their last events, which must not cost a request
        rt = kubesim.api.resource("batch", "v1", "jobs")
        jobs = [kubesim.api.find(rt, ns, name) or {} for name in job_names]
        return all((j.get("status") or {}).get("completionTime") for j in jobs)

    wait_for(jobs_complete, timeout=30, what="the Jobs complete")
    wait_for(lambda: results.queue.pending() == 0, timeout=10, what="the queue drained")
    calls = [e for e in kubesim.requests.entries(ns) if e.verb not in ("watch", "list")]
    log_reads = Counter(e.name for e in calls if e.call == "GET pods/log")
    writes = Counter(e.name for e in calls if e.resource == "policyreports" and e.is_write)
    assert len(log_reads) == BURST and set(log_reads.values()) == {1}, log_reads
    assert set(writes) == reports and set(writes.values()) == {1}, writes
    per_pod = Counter(
        e.call for e in calls if e.call not in ("POST jobs", "POST events")
    )  # the test's own Jobs; Events only for a changed outcome (here: the first)
    assert per_pod == Counter({"GET pods/log": BURST, "POST policyreports": BURST})
