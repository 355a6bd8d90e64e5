"""No false pass through the whole chain: NetworkAssertion -> operator -> probe Pod ->
results service -> PolicyReport, status summary and Event (a subset of the corpus in
packages/netchecks-probe/tests/no_false_pass: rules the validator cannot refuse
beforehand, since they go wrong only on the data that arrives)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess, wait_for


def _summary(cluster: Cluster, name: str) -> dict[str, int]:
    summary: dict[str, int] = cluster.assertion_status(name).get("summary") or {}
    return summary


@pytest.mark.timeout(120)
def test_unjudged_rules_stay_errors_and_blocked_ports_still_pass_in_the_report(
    cluster: Cluster,
    operator: ServiceProcess,
    results: ServiceProcess,
    http_server: Any,
    refusing_port: Any,
    blackhole: Any,
) -> None:
    json_url = http_server.url("/json")
    rules = [
        # A type error on a response that arrived: could not be judged.
        {"name": "type-error", "type": "http", "url": json_url, "expected": "fail",
         "validate": {"pattern": "data['status-code'] == '200'"}},
        # A rule that is not true or false.
        {"name": "not-a-bool", "type": "http", "url": json_url, "expected": "fail",
         "validate": {"pattern": "data['status-code']"}},
        # Must be blocked, and is: refused, even though the rule reads the response.
        {"name": "blocked", "type": "http", "expected": "fail",
         "url": f"http://127.0.0.1:{refusing_port.port}/",
         "validate": {"pattern": "data['status-code'] == 200"}},
        # Must be blocked, and is: filtered, timed out within its own timeout (the run
        # deadline the operator computed leaves it that timeout).
        {"name": "filtered", "type": "tcp", "host": "127.0.0.1", "port": blackhole.port,
         "timeout": 1, "expected": "fail"},
        # Must be blocked, but answered.
        {"name": "open", "type": "http", "url": json_url, "expected": "fail"},
    ]  # fmt: skip
    cluster.create_assertion("nofalsepass", {"rules": rules})

    report = cluster.wait_report("nofalsepass", lambda r: len(results_of(r)) == 5, timeout=90)

    assert results_of(report) == {
        "type-error": "error",
        "not-a-bool": "error",
        "blocked": "pass",
        "filtered": "pass",
        "open": "fail",
    }
    by_rule = {r["rule"]: r for r in report["results"]}
    assert "no matching overload" in by_rule["type-error"]["message"]
    assert "not true or false" in by_rule["not-a-bool"]["message"]
    assert by_rule["blocked"]["message"].startswith("the HTTP check failed as expected")
    assert json.loads(by_rule["filtered"]["properties"]["data"])["reason"] == "timeout"
    assert (report["summary"]["pass"], report["summary"]["fail"]) == (2, 1)
    assert report["summary"]["error"] == 2
    wait_for(lambda: _summary(cluster, "nofalsepass").get("error") == 2, 30, "status summary")
    assert _summary(cluster, "nofalsepass")["pass"] == 2
    event = wait_for(
        lambda: next(
            (e for e in cluster.events("nofalsepass") if e.reason == "ChecksFailing"), None
        ),
        30,
        "the ChecksFailing event",
    )
    assert "errors: type-error, not-a-bool" in event.message
