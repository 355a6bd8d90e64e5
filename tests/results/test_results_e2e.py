"""The results service end to end: kubesim, real probe Pods run by its kubelet, and
``netchecks-results`` as a real process (probe runs made as the operator makes them)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from typing import Any

from tests.results.harness import Cluster, dump, metric_value, results_of, shows_job
from tools.builders import output_document
from tools.harness import ServiceProcess, wait_for
from tools.kubesim.faults import Faults

SECRET_TOKEN = "s3cr3t-t0ken-9f8e7d"


def test_finished_probe_pod_becomes_the_assertions_policy_report(
    cluster: Cluster, results: ServiceProcess, http_server, dns_server
) -> None:
    a = cluster.create_assertion(
        "web",
        {
            "rules": [
                {"name": "json", "type": "http", "url": http_server.url("/json")},
                {"name": "missing", "type": "http", "url": http_server.url("/status/404")},
                {
                    "name": "www",
                    "type": "dns",
                    "host": "www.netchecks.test",
                    "server": dns_server.address,
                },
            ]
        },
        **{"netchecks.io/severity": "high", "netchecks.io/controls": "pci/1.3"},
    )
    cluster.run_probe(a)
    report = cluster.wait_report("web")
    assert results_of(report) == {"json": "pass", "missing": "fail", "www": "pass"}
    assert report["summary"] == {"pass": 2, "fail": 1}
    first = report["results"][0]
    assert first["source"] == "netchecks"
    assert first["severity"] == "high"
    assert first["category"] == "http"
    assert first["properties"]["controls"] == "pci/1.3"
    assert json.loads(first["properties"]["data"])["status-code"] == 200
    assert report["metadata"]["ownerReferences"][0]["uid"] == a["metadata"]["uid"]
    assert report["scope"]["kind"] == "NetworkAssertion"
    wait_for(
        lambda: (
            metric_value(
                results.metrics(), "netchecks_results_rule_result", rule="missing", result="fail"
            )
            == 1
        ),
        10,
        "the rule result gauge",
    )
    runs = metric_value(results.metrics(), "netchecks_results_runs_total", outcome="reported")
    assert runs is not None and runs >= 1


def test_contexts_templates_expected_fail_and_every_check_type(
    cluster: Cluster,
    results: ServiceProcess,
    http_server,
    dns_server,
    refusing_port,
    banner_server,
) -> None:
    cluster.create_configmap("targets", {"path": "/json", "host": "www.netchecks.test"})
    cluster.create_secret("creds", {"token": SECRET_TOKEN, "unused": "x"})
    spec = {
        "context": [
            {"name": "targets", "configMap": {"name": "targets"}},
            {
                "name": "creds",
                "secret": {"name": "creds", "items": [{"key": "token", "path": "tok"}]},
            },
            {"name": "limits", "inline": {"minimum": 1, "port": banner_server.port}},
        ],
        "rules": [
            {
                "name": "api",
                "type": "http",
                "url": http_server.url("") + "{{ targets.path }}",
                "headers": {"Authorization": "Bearer {{ creds.tok }}"},
            },
            {
                "name": "resolve",
                "type": "dns",
                "host": "{{ targets.host }}",
                "server": dns_server.address,
            },
            {"name": "banner", "type": "tcp", "host": "127.0.0.1", "port": "{{ limits.port }}"},
            {
                "name": "closed",
                "type": "tcp",
                "host": "127.0.0.1",
                "port": refusing_port.port,
                "expected": "fail",
            },
            {"name": "ctx", "type": "internal", "validate": {"pattern": "limits.minimum >= 1"}},
            {"name": "secret-loaded", "type": "internal", "validation": "size(creds.tok) > 8"},
        ],
    }
    a = cluster.create_assertion("contexts", spec)
    cluster.run_probe(a)
    report = cluster.wait_report("contexts")
    assert results_of(report) == dict.fromkeys(
        ["api", "resolve", "banner", "closed", "ctx", "secret-loaded"], "pass"
    ), report
    closed = next(r for r in report["results"] if r["rule"] == "closed")
    assert closed["message"].startswith("the TCP check failed as expected")
    assert SECRET_TOKEN not in dump(report)
    assert SECRET_TOKEN not in results.logs()
    for event in cluster.events("contexts"):
        assert SECRET_TOKEN not in dump(event.to_dict())


def test_secret_values_appear_only_with_disable_redaction(
    cluster: Cluster, start_results: Callable[..., ServiceProcess], http_server
) -> None:
    service = start_results(NETCHECKS_LOG_LEVEL="DEBUG")
    cluster.create_secret("creds", {"token": SECRET_TOKEN})
    rules = [
        {
            "name": "echo",
            "type": "http",
            "url": http_server.url("/echo") + "?t={{ creds.token }}",
            "headers": {"X-Token": "{{ creds.token }}"},
            "validate": {"pattern": "data['status-code'] == 201", "message": "echo must say 201"},
        }
    ]
    context = [{"name": "creds", "secret": {"name": "creds"}}]
    redacted = cluster.create_assertion("redacted", {"rules": rules, "context": context})
    plain = cluster.create_assertion(
        "plain", {"rules": rules, "context": context, "disableRedaction": True}
    )
    cluster.run_probe(redacted)
    cluster.run_probe(plain)
    hidden = cluster.wait_report("redacted")
    shown = cluster.wait_report("plain")
    assert results_of(hidden) == {"echo": "fail"}
    assert hidden["results"][0]["message"] == "echo must say 201"
    assert SECRET_TOKEN not in dump(hidden)
    assert SECRET_TOKEN in dump(shown)
    events = cluster.events("redacted") + cluster.events("plain")
    assert events, "an outcome event is posted for each first report"
    assert all(SECRET_TOKEN not in dump(e.to_dict()) for e in events)
    assert SECRET_TOKEN not in service.logs()


def test_scheduled_runs_replace_results_and_events_follow_changes(
    cluster: Cluster, results: ServiceProcess, http_server
) -> None:
    def spec(code: int) -> dict[str, object]:
        return {
            "rules": [{"name": "api", "type": "http", "url": http_server.url(f"/status/{code}")}]
        }

    a = cluster.create_assertion("sched", spec(200))
    for run, (code, expected) in enumerate(
        [(200, "pass"), (500, "fail"), (200, "pass"), (200, "pass")]
    ):
        a["spec"] = spec(code)
        time.sleep(1.1)  # runs are dated by their Job's creation, in whole seconds
        job = cluster.run_probe(a, run=str(run), scheduled=f"2025-06-01T12:0{run}:00Z")
        report = cluster.wait_report("sched", shows_job(job))
        assert results_of(report) == {"api": expected}
        assert report["summary"][expected] == 1 and sum(report["summary"].values()) == 1
    reasons = [
        e.reason
        for e in sorted(cluster.events("sched"), key=lambda e: e.metadata.creation_timestamp)
    ]
    assert reasons == ["ChecksPassing", "ChecksFailing", "ChecksPassing"], (
        "no event for an unchanged outcome"
    )


def test_older_run_finishing_late_never_overwrites_a_newer_one(
    cluster: Cluster, results: ServiceProcess, http_server
) -> None:
    slow = {"rules": [{"name": "api", "type": "http", "url": http_server.url("/slow?delay=3")}]}
    a = cluster.create_assertion("order", slow)
    old_job = cluster.run_probe(a, run="old")
    time.sleep(1.1)  # runs are dated by their Job's creation, in whole seconds
    a["spec"] = {"rules": [{"name": "api", "type": "http", "url": http_server.url("/status/503")}]}
    new_job = cluster.run_probe(a, run="new")
    report = cluster.wait_report("order")
    assert results_of(report) == {"api": "fail"}
    cluster.wait_pod_done(old_job)
    time.sleep(1.5)
    report = cluster.report("order")
    assert report is not None
    assert results_of(report) == {"api": "fail"}
    assert shows_job(new_job)(report)


def test_failed_pod_image_pull_error_and_oom_kill_become_error_results(
    cluster: Cluster, results: ServiceProcess, kube_faults: Faults, http_server
) -> None:
    rules = {"rules": [{"name": "a", "type": "internal"}, {"name": "b", "type": "internal"}]}
    crashed = cluster.create_assertion("crashed", rules)
    cluster.run_probe(crashed, command=["netchecks", "run", "--config", "/netcheck/missing.json"])
    report = cluster.wait_report("crashed")
    assert results_of(report) == {"a": "error", "b": "error"}
    assert "failed (exit code 2, reason Error)" in report["results"][0]["message"]
    assert report["summary"]["error"] == 2

    unpulled = cluster.create_assertion("unpulled", rules)
    cluster.run_probe(unpulled, image="registry.invalid/other-image:1")
    report = cluster.wait_report("unpulled")
    assert results_of(report) == {"a": "error", "b": "error"}
    assert "could not pull its image" in report["results"][0]["message"]

    oom = cluster.create_assertion(
        "oom",
        {"rules": [{"name": "slow", "type": "http", "url": http_server.url("/slow?delay=20")}]},
    )
    job = cluster.run_probe(oom)

    def running() -> Any:
        return next((p for p in cluster.job_pods(job) if p.status.phase == "Running"), None)

    pod = wait_for(running, 30, "the probe Pod to run")
    time.sleep(0.5)
    kube_faults.kill_pod(cluster.namespace, pod.metadata.name, reason="OOMKilled")
    report = cluster.wait_report("oom")
    assert results_of(report) == {"slow": "error"}
    assert "OOMKilled" in report["results"][0]["message"]
    wait_for(
        lambda: metric_value(
            results.metrics(), "netchecks_results_parse_failures_total", reason="oom-killed"
        ),
        10,
        "the parse failure counter",
    )
    event = wait_for(lambda: next(iter(cluster.events("oom")), None), 10, "the event")
    assert event.reason == "ProbeRunFailed" and event.type == "Warning"


def test_garbage_log_is_an_error_result_quoting_none_of_the_log(
    cluster: Cluster, results: ServiceProcess
) -> None:
    # What a run without output printed is never quoted (issue 12): here, a secret the
    # probe rendered into a rule name, then a cut-off document.
    a = cluster.create_assertion("garbage", {"rules": [{"name": "a", "type": "internal"}]})
    printed = (
        f'running rule check-{SECRET_TOKEN}\n\x00\xffnot json\n{{"type": "netcheck-output", "a'
    )
    script = f"import sys; sys.stdout.buffer.write({printed.encode('latin-1')!r})"
    cluster.run_probe(a, command=["python", "-c", script], image="python:3.12")
    report = cluster.wait_report("garbage")
    message = report["results"][0]["message"]
    assert report["results"][0]["result"] == "error"
    assert "incomplete" in message and "[incomplete-output, " in message
    assert "bytes of log, content not shown]" in message
    event = wait_for(lambda: next(iter(cluster.events("garbage")), None), 10, "the event")
    assert event.reason == "ProbeRunFailed"
    for text in (dump(report), dump(event.to_dict()), results.logs()):
        assert SECRET_TOKEN not in text and "not json" not in text


def test_deleting_the_assertion_mid_run_writes_no_report(
    cluster: Cluster, results: ServiceProcess, http_server
) -> None:
    a = cluster.create_assertion(
        "gone",
        {"rules": [{"name": "slow", "type": "http", "url": http_server.url("/slow?delay=2")}]},
    )
    job = cluster.run_probe(a)
    wait_for(lambda: any(p.status.phase == "Running" for p in cluster.job_pods(job)), 30, "running")
    cluster.delete_assertion("gone")
    wait_for(lambda: "its assertion is gone" in results.logs(), 30, "the orphan run to be seen")
    time.sleep(1)
    assert cluster.report("gone") is None


def test_run_finished_while_the_service_was_down_is_reported_after_restart(
    cluster: Cluster, start_results: Callable[..., ServiceProcess], http_server
) -> None:
    service = start_results()
    a = cluster.create_assertion(
        "restart", {"rules": [{"name": "ok", "type": "http", "url": http_server.url("/json")}]}
    )
    cluster.run_probe(a, run="1")
    first = cluster.wait_report("restart")
    service.stop(signal.SIGKILL)
    time.sleep(1.1)  # runs are dated by their Job's creation, in whole seconds
    cluster.run_probe(a, run="2")
    time.sleep(0.2)
    cluster.wait_pod_done("restart-netchecks-2")
    assert (
        cluster.report("restart")["metadata"]["resourceVersion"]
        == first["metadata"]["resourceVersion"]
    )
    start_results()
    report = cluster.wait_report("restart", shows_job("restart-netchecks-2"))
    version = report["metadata"]["resourceVersion"]
    time.sleep(1.5)
    assert cluster.report("restart")["metadata"]["resourceVersion"] == version, "processed once"


def test_reports_converge_under_injected_api_faults(
    cluster: Cluster, results: ServiceProcess, kube_faults: Faults, http_server
) -> None:
    ns = cluster.namespace
    a = cluster.create_assertion(
        "faults", {"rules": [{"name": "ok", "type": "http", "url": http_server.url("/json")}]}
    )
    kube_faults.fail_next(3, 500, verb="create", path=f"/namespaces/{ns}/policyreports")
    kube_faults.fail_next(2, 429, verb="get", path=f"/namespaces/{ns}/pods/.*/log", retry_after=1)
    cluster.run_probe(a, run="1", scheduled="2025-06-01T12:00:00Z")
    cluster.wait_report("faults")
    kube_faults.drop_watches()
    kube_faults.expire_history()
    kube_faults.fail_next(1, 409, verb="update", path=f"/namespaces/{ns}/policyreports")
    kube_faults.fail_next(2, 503, verb="list", path="/pods")
    a["spec"] = {"rules": [{"name": "ok", "type": "http", "url": http_server.url("/status/500")}]}
    cluster.run_probe(a, run="2", scheduled="2025-06-01T12:01:00Z")
    report = cluster.wait_report("faults", lambda r: results_of(r) == {"ok": "fail"})
    kube_faults.restart_server(downtime=0.5)
    a["spec"] = {"rules": [{"name": "ok", "type": "http", "url": http_server.url("/json")}]}
    cluster.run_probe(a, run="3", scheduled="2025-06-01T12:02:00Z")
    report = cluster.wait_report("faults", lambda r: results_of(r) == {"ok": "pass"})
    assert report["summary"]["pass"] == 1


def test_log_unavailable_for_good_becomes_an_error_result(
    cluster: Cluster,
    start_results: Callable[..., ServiceProcess],
    kube_faults: Faults,
    http_server,
) -> None:
    start_results(NETCHECKS_LOG_READ_ATTEMPTS="2")
    a = cluster.create_assertion(
        "nolog", {"rules": [{"name": "a", "type": "http", "url": http_server.url("/slow?delay=1")}]}
    )
    job = cluster.run_probe(a)
    pod = wait_for(lambda: next(iter(cluster.job_pods(job)), None), 30, "the probe Pod")
    kube_faults.pod_log_unavailable(cluster.namespace, pod.metadata.name, code=500)
    report = cluster.wait_report("nolog")
    assert results_of(report) == {"a": "error"}
    assert "its log could not be read" in report["results"][0]["message"]


def test_openreports_and_v1beta1_are_written_when_configured(
    cluster: Cluster, start_results: Callable[..., ServiceProcess]
) -> None:
    start_results(NETCHECKS_REPORT_APIS="wgpolicyk8s.io/v1beta1,openreports.io/v1alpha1")
    a = cluster.create_assertion("apis", {"rules": [{"name": "a", "type": "internal"}]})
    cluster.run_probe(a)
    report = cluster.wait_report("apis", group="openreports.io", version="v1alpha1")
    assert report["kind"] == "Report" and report["source"] == "netchecks"
    beta = cluster.wait_report("apis", version="v1beta1")
    assert beta["source"] == "netchecks" and results_of(beta) == {"a": "pass"}


def test_second_replica_waits_and_takes_over(
    cluster: Cluster, start_results: Callable[..., ServiceProcess]
) -> None:
    first = start_results()
    second = start_results()
    a = cluster.create_assertion("ha", {"rules": [{"name": "a", "type": "internal"}]})
    cluster.run_probe(a, run="1", scheduled="2025-06-01T12:00:00Z")
    cluster.wait_report("ha")
    leader, standby = (first, second) if "now the leader" in first.logs() else (second, first)
    assert "now the leader" not in standby.logs()
    leader.stop()
    # Another assertion's run: which of two runs of one assertion made within one second
    # is newer is the ordering tests' business, not this one's.
    b = cluster.create_assertion("hb", {"rules": [{"name": "a", "type": "internal"}]})
    cluster.run_probe(b, run="1")
    cluster.wait_report("hb", shows_job("hb-netchecks-1"))
    assert "now the leader" in standby.logs()


def test_result_at_the_end_of_a_ten_megabyte_log_is_found(
    cluster: Cluster, results: ServiceProcess
) -> None:
    a = cluster.create_assertion("huge", {"rules": [{"name": "a", "type": "internal"}]})
    document = output_document({"a": "pass"})
    script = (
        "import sys\n"
        "line = 'diagnostic ' + 'x' * 89 + '\\n'\n"
        "sys.stdout.write(line * 100_000)\n"
        f"sys.stdout.write({document!r} + '\\n')\n"
    )
    cluster.run_probe(a, command=["python", "-c", script], image="python:3.12")
    report = cluster.wait_report("huge")
    assert results_of(report) == {"a": "pass"}
