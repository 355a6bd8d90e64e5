"""The whole chain: NetworkAssertion -> operator -> Job -> real probe Pod -> results
service -> PolicyReport -> the assertion's status (every service a real process)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess, wait_for


def _run_now(cluster: Cluster, name: str, value: str) -> None:
    cluster.patch_assertion(name, {"metadata": {"annotations": {"netchecks.io/run-now": value}}})


def _spec(cluster: Cluster, name: str, spec: dict[str, object]) -> None:
    cluster.patch_assertion(name, {"spec": spec})


def test_assertion_becomes_a_report_and_a_status_through_the_real_services(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess, http_server
) -> None:
    cluster.create_assertion(
        "chain",
        {
            "rules": [
                {"name": "up", "type": "http", "url": http_server.url("/json")},
                {"name": "down", "type": "http", "url": http_server.url("/status/503")},
            ]
        },
    )
    report = cluster.wait_report("chain")
    assert results_of(report) == {"up": "pass", "down": "fail"}
    wait_for(lambda: cluster.condition("chain").get("reason") == "ProbeComplete", 30, "status")
    assert cluster.assertion_status("chain")["summary"] == {
        "pass": 1,
        "fail": 1,
        "warn": 0,
        "error": 0,
        "skip": 0,
    }


def test_scheduled_runs_replace_results_pass_fail_pass(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess, http_server
) -> None:
    def spec(code: int) -> dict[str, object]:
        return {
            "schedule": "@hourly",
            "rules": [{"name": "api", "type": "http", "url": http_server.url(f"/status/{code}")}],
        }

    cluster.create_assertion("sched", spec(200))
    previous = None
    for step, (code, expected) in enumerate([(200, "pass"), (500, "fail"), (200, "pass")]):
        _spec(cluster, "sched", spec(code))
        time.sleep(0.5)  # the operator updates the CronJob's probe config first
        _run_now(cluster, "sched", f"run-{step}")

        def replaced(r: dict[str, object], before: object = previous, want: str = expected) -> bool:
            marker = r["metadata"]["annotations"]["netchecks.io/pod-uid"]
            return marker != before and results_of(r) == {"api": want}

        report = cluster.wait_report("sched", replaced)
        previous = report["metadata"]["annotations"]["netchecks.io/pod-uid"]
        assert report["summary"][expected] == 1
        wait_for(
            lambda want=expected: (
                (cluster.assertion_status("sched").get("summary") or {}).get(want) == 1
            ),
            30,
            "the status summary to follow",
        )


def test_deleting_an_assertion_mid_run_leaves_no_report(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess, http_server
) -> None:
    cluster.create_assertion(
        "midrun",
        {"rules": [{"name": "slow", "type": "http", "url": http_server.url("/slow?delay=3")}]},
    )
    wait_for(
        lambda: any(
            p.status.phase == "Running"
            for p in cluster.core.list_namespaced_pod(cluster.namespace).items
        ),
        30,
        "the probe Pod to run",
    )
    cluster.delete_assertion("midrun")
    time.sleep(5)
    assert cluster.report("midrun") is None


def test_an_assertion_with_the_longest_name_gets_events_from_both_services(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess
) -> None:
    # 253 characters: "<name>.<hex time>" would be over the Event name limit (422).
    name = ("a-" * 130)[:252] + "z"
    cluster.create_assertion(name, {"rules": [{"name": "ok", "type": "internal"}]})
    report = cluster.wait_report(name)
    assert results_of(report) == {"ok": "pass"}

    def components() -> set[str]:
        items = cluster.core.list_namespaced_event(cluster.namespace).items
        return {
            e.source.component
            for e in items
            if e.involved_object.name == name and e.source is not None
        }

    wait_for(
        lambda: {"netchecks-operator", "netchecks-results"} <= components(),
        30,
        "events from both services",
    )
    assert "could not post" not in results.logs()


def test_a_run_finished_while_results_were_down_is_kept_read_later_then_removed(
    cluster: Cluster,
    operator: ServiceProcess,
    start_results: Callable[..., ServiceProcess],
    http_server,
) -> None:
    def spec(path: str) -> dict[str, object]:
        return {"rules": [{"name": "api", "type": "http", "url": http_server.url(path)}]}

    def jobs() -> dict[str, Any]:
        return {
            j.metadata.name: j for j in cluster.batch.list_namespaced_job(cluster.namespace).items
        }

    cluster.create_assertion("kept", spec("/json"))
    first = wait_for(lambda: jobs().get("kept-netchecks-g1"), 30, "the one-shot Job")
    assert first.spec.ttl_seconds_after_finished is None, "no TTL may delete an unread run"
    cluster.wait_pod_done("kept-netchecks-g1")
    time.sleep(2)  # the results service is down: the run must stay, unread
    assert "kept-netchecks-g1" in jobs()
    assert cluster.condition("kept")["reason"] == "Progressing"

    results = start_results()
    report = cluster.wait_report("kept")
    assert results_of(report) == {"api": "pass"}
    wait_for(
        lambda: "kept-netchecks-g1" not in jobs(), 30, "the Job removed once its run was taken"
    )
    wait_for(lambda: cluster.condition("kept").get("reason") == "ProbeComplete", 30, "status")

    # A new spec while the results service is down: the old summary is not claimed for it.
    results.stop()
    _spec(cluster, "kept", spec("/status/503"))
    cluster.wait_pod_done(wait_for(lambda: jobs().get("kept-netchecks-g2"), 30, "g2").metadata.name)
    condition = wait_for(
        lambda: (c := cluster.condition("kept")).get("observedGeneration") == 2 and c, 30, "g2"
    )
    assert (condition["reason"], condition["message"]) == (
        "Progressing",
        "waiting for the results of generation 2",
    )
    assert "summary" not in cluster.assertion_status("kept")
    start_results()
    wait_for(lambda: cluster.condition("kept").get("message") == "1 fail", 60, "g2 results")
    wait_for(lambda: "kept-netchecks-g2" not in jobs(), 30, "the g2 Job removed")


def test_an_assertion_nested_too_deep_is_invalid_and_stops_no_other(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess
) -> None:
    # The API server takes JSON nested up to 10,000 levels; a list holding one such
    # assertion must still decode, and the assertion itself becomes InvalidSpec.
    depth = 1200
    inline = '{"k":' * depth + "1" + "}" * depth
    cluster.create_assertion_text(
        '{"apiVersion": "netchecks.io/v1", "kind": "NetworkAssertion",'
        ' "metadata": {"name": "deep"}, "spec": {"rules": [{"name": "a", "type": "internal"}],'
        f' "context": [{{"name": "d", "inline": {inline}}}]}}}}'
    )
    cluster.create_assertion("shallow", {"rules": [{"name": "a", "type": "internal"}]})
    assert results_of(cluster.wait_report("shallow")) == {"a": "pass"}
    condition = wait_for(lambda: cluster.condition("deep") or None, 30, "the deep one's status")
    assert condition["reason"] == "InvalidSpec"
    assert "deeper than 100 levels" in str(condition["message"])
    assert "RecursionError" not in operator.logs() + results.logs()
