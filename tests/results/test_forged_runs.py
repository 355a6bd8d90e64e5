"""Forged runs never change a report (issue 12): only Pods whose controller chain reaches
the assertion count, whatever labels, annotations or dates anyone else sets.

Each forgery prints a valid probe output saying ``fail`` where the real run says
``pass``; the report must keep the real result, the untrusted-Pod counter must count
the forgery, and a real run afterwards must still be published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from netchecks_core.naming import child_annotations, probe_pod_labels

from tests.results.harness import Cluster, metric_value, results_of, shows_job
from tools.builders import output_document, probe_job_manifest
from tools.harness import ServiceProcess, wait_for

RULES = {"rules": [{"name": "a", "type": "internal"}]}
FORGED = ["python", "-c", f"print({output_document({'a': 'fail'})!r})"]


def untrusted(service: ServiceProcess, reason: str) -> float:
    return (
        metric_value(service.metrics(), "netchecks_results_untrusted_pods_total", reason=reason)
        or 0
    )


def real_report(cluster: Cluster, assertion: dict[str, Any], run: str) -> dict[str, Any]:
    job = cluster.run_probe(assertion, run=run)
    report = cluster.wait_report(assertion["metadata"]["name"], shows_job(job))
    assert results_of(report) == {"a": "pass"}
    return report


def assert_unchanged_then_real_run_published(
    cluster: Cluster, assertion: dict[str, Any], before: dict[str, Any]
) -> None:
    name = assertion["metadata"]["name"]
    time.sleep(1.5)  # room for a (wrong) write to land
    after = cluster.report(name)
    assert after is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    real_report(cluster, assertion, run="after")


def hand_made_job(name: str, assertion: dict[str, Any], **annotations: str) -> dict[str, Any]:
    """A Job with the operator's labels and annotations, made by someone else (no owner)."""
    container = {"name": "probe", "image": "python:3.12", "command": FORGED}
    job = probe_job_manifest(assertion, container, name=name, generation=99)
    del job["metadata"]["ownerReferences"]
    job["metadata"]["annotations"].update(annotations)
    return job


def test_pod_with_probe_labels_and_no_owner_changes_no_report(
    cluster: Cluster, results: ServiceProcess
) -> None:
    a = cluster.create_assertion("labels", RULES)
    before = real_report(cluster, a, run="1")
    time.sleep(1.1)  # the forgery is the newest Pod
    meta = a["metadata"]
    cluster.create_pod(
        "forged",
        FORGED,
        labels=probe_pod_labels(meta["uid"]),
        annotations=child_annotations(meta["name"], 99),
    )
    assert cluster.wait_pod_phase("forged") == "Succeeded"
    wait_for(lambda: untrusted(results, "no-controller") >= 1, 20, "the forged Pod counted")
    assert f"Pod {cluster.namespace}/forged looks like a probe Pod" in results.logs()
    assert_unchanged_then_real_run_published(cluster, a, before)


@pytest.mark.parametrize(
    ("assertion", "annotations"),
    [
        ("handmade", {}),
        ("dated", {"batch.kubernetes.io/cronjob-scheduled-timestamp": "2999-01-01T00:00:00Z"}),
    ],
)
def test_pod_of_a_hand_made_job_even_dated_2999_changes_no_report(
    cluster: Cluster, results: ServiceProcess, assertion: str, annotations: dict[str, str]
) -> None:
    a = cluster.create_assertion(assertion, RULES)
    before = real_report(cluster, a, run="1")
    time.sleep(1.1)
    job = f"{assertion}-netchecks-forged"
    cluster.batch.create_namespaced_job(cluster.namespace, hand_made_job(job, a, **annotations))
    cluster.wait_pod_done(job)
    wait_for(lambda: untrusted(results, "foreign-job") >= 1, 20, "the forged Pod counted")
    assert_unchanged_then_real_run_published(cluster, a, before)


def test_a_date_on_a_job_is_never_believed_even_on_a_job_the_chain_accepts(
    cluster: Cluster, results: ServiceProcess
) -> None:
    # Whoever may create Jobs controlled by the assertion runs as the operator (the trust
    # model says so), but even that run cannot pin the report: runs are dated by their
    # Job's creation, so the next real run replaces it.
    a = cluster.create_assertion("pinned", RULES)
    forged = cluster.run_probe(
        a, run="2999", scheduled="2999-01-01T00:00:00Z", command=FORGED, image="python:3.12"
    )
    report = cluster.wait_report("pinned", shows_job(forged))
    assert results_of(report) == {"a": "fail"}
    time.sleep(1.1)
    real_report(cluster, a, run="next")


def test_pod_in_another_namespace_claiming_a_victim_assertion_changes_no_report(
    cluster: Cluster,
    start_results: Callable[..., ServiceProcess],
    kube_api: client.ApiClient,
) -> None:
    other = f"{cluster.namespace}-x"
    cluster.core.create_namespace({"metadata": {"name": other}})
    try:
        service = start_results(NETCHECKS_NAMESPACES=f"{cluster.namespace},{other}")
        a = cluster.create_assertion("victim", RULES)
        before = real_report(cluster, a, run="1")
        time.sleep(1.1)
        meta = a["metadata"]
        for name, annotations in (
            ("bare", {}),
            ("annotated", child_annotations(meta["name"], 99)),
        ):
            cluster.create_pod(
                name,
                FORGED,
                labels=probe_pod_labels(meta["uid"]),
                annotations=annotations,
                namespace=other,
            )
            assert cluster.wait_pod_phase(name, namespace=other) == "Succeeded"
        wait_for(lambda: untrusted(service, "no-controller") >= 2, 20, "both Pods counted")
        assert_unchanged_then_real_run_published(cluster, a, before)
        assert Cluster(kube_api, other).report("victim") is None
    finally:
        cluster.core.delete_namespace(other)
