"""What a result's duration measures: the check's network exchange, not waiting for a thread.

A loopback server answers after a known delay; the time between ``startTimestamp`` and
``endTimestamp`` must be that delay and little more, however many rules share the run.
The bounds are generous (tens of milliseconds): this checks what is timed, not speed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.rules import HttpRule, TcpRule
from netchecks_probe.checks import http as http_check
from netchecks_probe.checks import tcp as tcp_check
from netchecks_probe.checks.base import Deadline
from netchecks_probe.runner import run_config

from tools.targets.http import HttpServerProcess
from tools.targets.tcp import BannerServer

#: How long the server waits before it answers.
DELAY = 0.3
#: How much longer than the delay a reported duration may be.
SLACK = 0.05
#: The same with 40 rules in one run (on a loaded machine a thread may wait that long to
#: be scheduled; the runner once reported the time rules queued for threads, far more).
CONCURRENT_SLACK = 0.1


@pytest.fixture(scope="module")
def web() -> Iterator[HttpServerProcess]:
    # In its own process: in ours, the server's threads would compete with the checks'.
    with HttpServerProcess() as server:
        yield server


def _seconds(data: dict[str, Any]) -> float:
    start = datetime.datetime.fromisoformat(data["startTimestamp"])
    end = datetime.datetime.fromisoformat(data["endTimestamp"])
    return (end - start).total_seconds()


def test_http_check_times_its_exchange(web: HttpServerProcess) -> None:
    rule = HttpRule.model_validate({"type": "http", "url": web.url(f"/slow?delay={DELAY}")})

    data = http_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["status-code"] == 200
    assert DELAY <= _seconds(data) <= DELAY + SLACK


def test_http_check_that_times_out_lasts_its_timeout(web: HttpServerProcess) -> None:
    rule = HttpRule.model_validate(
        {"type": "http", "url": web.url("/slow?delay=5"), "timeout": DELAY}
    )

    data = http_check.run(rule, Deadline.after(10).for_rule(DELAY))

    assert data["reason"] == "timeout"
    assert DELAY <= _seconds(data) <= DELAY + SLACK + 0.05  # call_within's grace


def test_tcp_check_times_connect_and_banner() -> None:
    with BannerServer(b"") as server:  # connects at once, answers PING with PONG
        rule = TcpRule.model_validate(
            {"type": "tcp", "host": "127.0.0.1", "port": server.port, "send": "PING\n"}
        )
        data = tcp_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["connected"] is True
    assert 0 <= _seconds(data) <= SLACK


def test_durations_of_many_concurrent_rules_are_their_network_time(web: HttpServerProcess) -> None:
    # Half wait on the server, half are answered at once while the others judge theirs.
    slow, fast = web.url(f"/slow?delay={DELAY}"), web.url("/json")
    rules = [
        {"name": f"slow-{i}", "type": "http", "url": slow}
        if i % 2
        else {"name": f"json-{i}", "type": "http", "url": fast}
        for i in range(40)
    ]
    config = ProbeConfig.model_validate({"assertions": [{"name": "timing", "rules": rules}]})

    output = run_config(config)

    results = output.assertions[0].results
    assert [r.status for r in results] == ["pass"] * len(rules)
    for result in results:
        seconds = _seconds(result.data)
        if str(result.name).startswith("slow"):
            assert DELAY <= seconds <= DELAY + CONCURRENT_SLACK, result.name
        else:
            assert 0 <= seconds <= CONCURRENT_SLACK, result.name
