"""The operator as a real process against kubesim: children, status, events, faults, leadership."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
from netchecks_core import naming
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.errors import InvalidError
from netchecks_service.kube import (
    CONFIGMAPS,
    CRONJOBS,
    EVENTS,
    JOBS,
    LEASES,
    PODS,
    KubeApi,
)

from tools.builders import AssertionBuilder
from tools.harness import ServiceProcess, wait_for

REPORTS = DEFAULT_REPORT_API
pytestmark = pytest.mark.timeout(120)


def create(api: KubeApi, ns: str, manifest: dict[str, Any]) -> dict[str, Any]:
    manifest["metadata"]["namespace"] = ns
    return api.create(NETWORK_ASSERTIONS, manifest, ns)


def names(api: KubeApi, resource: Any, ns: str) -> list[str]:
    items = api.list(resource, ns, label_selector=naming.OPERATOR_SELECTOR)["items"]
    return sorted(
        o["metadata"]["name"] for o in items if not o["metadata"].get("deletionTimestamp")
    )


def condition(api: KubeApi, ns: str, name: str) -> dict[str, Any]:
    status = api.get(NETWORK_ASSERTIONS, name, ns).get("status") or {}
    found = [c for c in status.get("conditions") or [] if c["type"] == "Reconciled"]
    return found[0] if found else {}


def reason_is(api: KubeApi, ns: str, name: str, reason: str) -> Callable[[], bool]:
    return lambda: condition(api, ns, name).get("reason") == reason


def test_unscheduled_assertion_gets_configmap_and_job_whose_probe_pod_really_runs(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    created = create(api, ns, AssertionBuilder("web").with_internal("1 + 1 == 2").build())
    wait_for(lambda: names(api, JOBS, ns) == ["web-netchecks-g1"], what="job")
    assert names(api, CONFIGMAPS, ns) == ["web-netchecks-config"]
    cond = wait_for(lambda: condition(api, ns, "web"), what="status")
    assert (cond["status"], cond["reason"]) == ("Unknown", "Progressing")
    status = api.get(NETWORK_ASSERTIONS, "web", ns)["status"]
    assert status["observedGeneration"] == 1 and status["jobName"] == "web-netchecks-g1"
    selector = (
        f"{naming.PROBE_POD_SELECTOR},{naming.LABEL_ASSERTION_UID}={created['metadata']['uid']}"
    )

    def finished_pod() -> dict[str, Any] | None:
        pods = api.list(PODS, ns, label_selector=selector)["items"]
        return next((p for p in pods if p["status"].get("phase") in {"Succeeded", "Failed"}), None)

    pod = wait_for(finished_pod, 60, "probe pod to finish")
    assert pod["status"]["phase"] == "Succeeded", api.read_log(pod["metadata"]["name"], ns)
    log = api.read_log(pod["metadata"]["name"], ns)
    assert '"status":"pass"' in log.replace(" ", "")
    assert pod["metadata"]["annotations"][naming.ANNOTATION_ASSERTION] == "web"


def test_every_created_object_validates_strictly_for_kubernetes_1_28_and_1_37(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    create(
        api,
        ns,
        AssertionBuilder("once")
        .with_http("http://127.0.0.1:1/")
        .with_context("c", configMap={"name": "x", "items": [{"key": "a", "path": "a"}]})
        .build(),
    )
    create(
        api,
        ns,
        AssertionBuilder("cron")
        .with_dns("example.test")
        .with_spec(schedule="@hourly")
        .with_spec(
            template={"metadata": {"labels": {"app": "a"}}, "spec": {"nodeSelector": {"k": "v"}}}
        )
        .build(),
    )
    wait_for(lambda: len(names(api, JOBS, ns)) == 1 and len(names(api, CRONJOBS, ns)) == 1)
    objects = [
        (api_version, kind, obj)
        for resource, api_version, kind in (
            (CONFIGMAPS, "v1", "ConfigMap"),
            (CRONJOBS, "batch/v1", "CronJob"),
            (JOBS, "batch/v1", "Job"),
        )
        for obj in api.list(resource, ns, label_selector=naming.OPERATOR_SELECTOR)["items"]
    ]
    assert len(objects) == 4
    kept = {"name", "namespace", "labels", "annotations", "ownerReferences"}
    for api_version, kind, obj in objects:
        manifest = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {k: v for k, v in obj["metadata"].items() if k in kept},
        }
        manifest.update({k: v for k, v in obj.items() if k in {"data", "spec"}})
        for version in ("1.28.0", "1.37.0"):
            kubernetes_validate.validate(manifest, version, strict=True)


def test_spec_update_replaces_children_in_place_and_schedule_toggling_leaves_nothing_stale(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    create(api, ns, AssertionBuilder("a").with_internal().with_spec(schedule="@hourly").build())
    wait_for(lambda: names(api, CRONJOBS, ns) == ["a-netchecks"], what="cronjob")
    cron_uid = api.get(CRONJOBS, "a-netchecks", ns)["metadata"]["uid"]
    api.patch(NETWORK_ASSERTIONS, "a", {"spec": {"schedule": "*/5 * * * *"}}, ns)
    wait_for(lambda: api.get(CRONJOBS, "a-netchecks", ns)["spec"]["schedule"] == "*/5 * * * *")
    assert api.get(CRONJOBS, "a-netchecks", ns)["metadata"]["uid"] == cron_uid  # in place
    api.patch(NETWORK_ASSERTIONS, "a", {"spec": {"schedule": None}}, ns)
    wait_for(
        lambda: names(api, CRONJOBS, ns) == [] and "a-netchecks-g3" in names(api, JOBS, ns),
        what="cronjob gone, one-shot job made",
    )
    api.patch(NETWORK_ASSERTIONS, "a", {"spec": {"schedule": "@daily"}}, ns)
    wait_for(
        lambda: (
            names(api, CRONJOBS, ns) == ["a-netchecks"]
            and "a-netchecks-g3" not in names(api, JOBS, ns)
        ),
        what="one-shot job gone",
    )


def test_deleting_an_assertion_mid_run_removes_everything_it_made(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    create(api, ns, AssertionBuilder("gone").with_internal().build())
    wait_for(lambda: names(api, JOBS, ns) == ["gone-netchecks-g1"])
    api.delete(NETWORK_ASSERTIONS, "gone", ns)
    wait_for(
        lambda: names(api, JOBS, ns) == [] and names(api, CONFIGMAPS, ns) == [],
        30,
        "children collected",
    )
    wait_for(
        lambda: not api.list(PODS, ns, label_selector=naming.PROBE_POD_SELECTOR)["items"],
        30,
        "probe pods collected",
    )


def test_run_now_annotation_starts_one_job_once(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    create(api, ns, AssertionBuilder("r").with_internal().with_spec(schedule="0 0 1 1 *").build())
    wait_for(lambda: names(api, CRONJOBS, ns) == ["r-netchecks"])
    api.patch(
        NETWORK_ASSERTIONS,
        "r",
        {"metadata": {"annotations": {naming.ANNOTATION_RUN_NOW: "t1"}}},
        ns,
    )
    job = naming.run_now_job_name("r", "t1")
    wait_for(lambda: job in names(api, JOBS, ns), what="run-now job")
    wait_for(
        lambda: (
            api.get(CRONJOBS, "r-netchecks", ns)["metadata"]["annotations"].get(
                naming.ANNOTATION_LAST_RUN_NOW
            )
            == "t1"
        )
    )
    api.patch(NETWORK_ASSERTIONS, "r", {"metadata": {"labels": {"touch": "1"}}}, ns)
    wait_for(lambda: api.get(NETWORK_ASSERTIONS, "r", ns)["status"]["jobName"] == job)
    assert [n for n in names(api, JOBS, ns) if "-now-" in n] == [job]


def test_invalid_cel_marks_invalid_spec_names_the_field_and_creates_nothing(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    create(
        api,
        ns,
        AssertionBuilder("bad")
        .with_rule("internal", "broken", validate={"pattern": "data.x =="})
        .build(),
    )
    wait_for(reason_is(api, ns, "bad", "InvalidSpec"), what="InvalidSpec")
    cond = condition(api, ns, "bad")
    assert cond["status"] == "False"
    assert cond["message"].startswith("spec.rules[0].validate.pattern: invalid CEL")
    assert names(api, CONFIGMAPS, ns) == [] and names(api, JOBS, ns) == []
    # The Event is recorded after the status is written: wait for it too.
    wait_for(
        lambda: any(e["reason"] == "InvalidSpec" for e in api.list(EVENTS, ns)["items"]),
        what="an InvalidSpec Event",
    )


def test_admission_accepts_repeated_rule_names_and_refuses_missing_fields(
    api: KubeApi, kube_namespace: str
) -> None:
    # Netchecks 0.10 accepted repeated rule names (its Cilium DNS examples have them).
    create(
        api,
        kube_namespace,
        AssertionBuilder("dup").with_internal(name="x").with_internal(name="x").build(),
    )
    with pytest.raises(InvalidError, match="needs host"):
        create(api, kube_namespace, AssertionBuilder("nohost").with_rule("dns").build())


def test_policy_report_summary_becomes_probe_complete_status_without_write_loops(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    made = create(
        api, ns, AssertionBuilder("rep").with_internal().with_spec(schedule="@hourly").build()
    )
    wait_for(reason_is(api, ns, "rep", "Progressing"))
    api.create(
        REPORTS,
        {
            "apiVersion": "wgpolicyk8s.io/v1alpha2",
            "kind": "PolicyReport",
            "metadata": {
                "name": "rep",
                "namespace": ns,
                "labels": naming.child_labels(made["metadata"]["uid"], naming.MANAGED_BY_RESULTS),
                # The run shown was of this spec generation (as stamped on its Job).
                "annotations": {naming.ANNOTATION_GENERATION: "1"},
                "ownerReferences": [
                    {
                        "apiVersion": "netchecks.io/v1",
                        "kind": "NetworkAssertion",
                        "name": "rep",
                        "uid": made["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "summary": {"pass": 2, "fail": 1},
            "results": [
                {
                    "policy": "rep",
                    "rule": "rule-1",
                    "result": "pass",
                    "source": "netchecks",
                    "timestamp": {"seconds": 1767225600, "nanos": 0},
                }
            ],
        },
        ns,
    )
    wait_for(reason_is(api, ns, "rep", "ProbeComplete"), what="ProbeComplete")
    na = api.get(NETWORK_ASSERTIONS, "rep", ns)
    assert condition(api, ns, "rep")["message"] == "2 pass, 1 fail"
    assert na["status"]["summary"]["pass"] == 2
    version = na["metadata"]["resourceVersion"]
    patches_before = _status_writes(operator)
    time.sleep(1.5)  # a write loop would show within this time
    assert api.get(NETWORK_ASSERTIONS, "rep", ns)["metadata"]["resourceVersion"] == version
    assert _status_writes(operator) == patches_before


def _status_writes(operator: ServiceProcess) -> float:
    total = 0.0
    for line in operator.metrics().splitlines():
        if line.startswith("netchecks_operator_writes") and "NetworkAssertionStatus" in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_a_user_object_with_a_child_name_is_never_touched(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    ns = kube_namespace
    api.create(CONFIGMAPS, {"metadata": {"name": "mine-netchecks-config"}, "data": {"k": "v"}}, ns)
    create(api, ns, AssertionBuilder("mine").with_internal().build())
    wait_for(reason_is(api, ns, "mine", "ReconcileError"), 30, "ReconcileError")
    assert "not owned" in condition(api, ns, "mine")["message"]
    assert api.get(CONFIGMAPS, "mine-netchecks-config", ns)["data"] == {"k": "v"}


def test_faults_500_429_409_dropped_watches_and_410_still_converge_without_duplicates(
    api: KubeApi, kube_namespace: str, operator: ServiceProcess, kube_faults: Any
) -> None:
    ns = kube_namespace
    kube_faults.fail_next(3, 500, verb="create", path="configmaps")
    kube_faults.fail_next(2, 429, verb="create", path="jobs", retry_after=1)
    for i in range(5):
        create(api, ns, AssertionBuilder(f"f{i}").with_internal().build())
    wait_for(lambda: len(names(api, JOBS, ns)) == 5, 40, "5 jobs")
    kube_faults.drop_watches()
    kube_faults.expire_history()
    kube_faults.fail_next(2, 409, verb="update", path="cronjobs")
    for i in range(5):
        api.patch(NETWORK_ASSERTIONS, f"f{i}", {"spec": {"schedule": "@hourly"}}, ns)
    wait_for(
        lambda: len(names(api, CRONJOBS, ns)) == 5 and names(api, JOBS, ns) == [],
        40,
        "5 cronjobs, no stale jobs",
    )
    assert names(api, CONFIGMAPS, ns) == [f"f{i}-netchecks-config" for i in range(5)]


def test_api_server_restart_and_operator_killed_mid_reconcile_converge(
    api: KubeApi,
    kube_namespace: str,
    start_operator: Callable[..., ServiceProcess],
    kube_faults: Any,
) -> None:
    ns = kube_namespace
    first = start_operator()
    kube_faults.add_latency(0.3, verb="create", path="jobs")
    for i in range(4):
        create(api, ns, AssertionBuilder(f"k{i}").with_internal().build())
    wait_for(lambda: names(api, CONFIGMAPS, ns), what="some progress")
    first.stop(signal.SIGKILL)
    kube_faults.clear()
    kube_faults.restart_server(downtime=0.5)
    start_operator()
    wait_for(lambda: len(names(api, JOBS, ns)) == 4, 40, "4 jobs")
    assert names(api, JOBS, ns) == [f"k{i}-netchecks-g1" for i in range(4)]
    assert len(names(api, CONFIGMAPS, ns)) == 4


def test_two_replicas_only_the_leader_works_and_hand_over_on_sigterm(
    api: KubeApi, kube_namespace: str, start_operator: Callable[..., ServiceProcess]
) -> None:
    ns = kube_namespace
    one = start_operator()
    two = start_operator()
    create(api, ns, AssertionBuilder("l1").with_internal().build())
    wait_for(lambda: names(api, JOBS, ns) == ["l1-netchecks-g1"])
    lease = api.get(LEASES, "netchecks-operator", ns)
    holder = lease["spec"]["holderIdentity"]
    leader, follower = (one, two) if _writes(one) > 0 else (two, one)
    assert _writes(follower) == 0 and follower.ready()
    assert leader.stop(signal.SIGTERM) == 0
    wait_for(
        lambda: (
            api.get(LEASES, "netchecks-operator", ns)["spec"].get("holderIdentity")
            not in (None, holder)
        ),
        15,
        "new leader",
    )
    create(api, ns, AssertionBuilder("l2").with_internal().build())
    wait_for(lambda: "l2-netchecks-g1" in names(api, JOBS, ns), 20, "follower took over")
    assert _writes(follower) > 0


def _writes(operator: ServiceProcess) -> float:
    total = 0.0
    for line in operator.metrics().splitlines():
        if line.startswith("netchecks_operator_writes_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_health_metrics_and_bad_settings(
    operator: ServiceProcess, start_operator: Callable[..., ServiceProcess]
) -> None:
    assert operator.get("/livez").status_code == 200
    body = operator.metrics()
    assert "netchecks_kube_requests_total" in body
    assert "netchecks_operator_queue_depth" in body
    bad = start_operator(wait_ready=False, PROBE_IMAGE_PULL_POLICY="Sometimes")
    assert bad.process is not None and bad.process.wait(20) == 2
    assert "PROBE_IMAGE_PULL_POLICY" in bad.logs()
