"""What a result's duration measures: the check's network exchange, not waiting for a thread.

A loopback server answers after a known delay: the time between ``startTimestamp`` and
``endTimestamp`` of a check must be that delay and little more. The runner reports the
exchange the check timed, not the whole call (nor time spent queueing for a thread).
The bounds are generous (tens of milliseconds): this checks what is timed, not speed.
"""

from __future__ import annotations

import datetime
import socket
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3.util.connection
from netchecks_core.runnable import RunnableHttp, RunnableTcp, parse_runnable, runnable_config
from netchecks_probe import checks
from netchecks_probe.checks import arrival, http_client
from netchecks_probe.checks import http as http_check
from netchecks_probe.checks import tcp as tcp_check
from netchecks_probe.checks.base import Deadline, NetworkClock
from netchecks_probe.runner import run_config

from tools.targets.http import HttpServerProcess
from tools.targets.tcp import BannerServer

#: How long the server waits before it answers.
DELAY = 0.3
#: How much longer than the delay a reported duration may be.
SLACK = 0.05


@pytest.fixture(scope="module")
def web() -> Iterator[HttpServerProcess]:
    # In its own process: in ours, the server's threads would compete with the checks'.
    with HttpServerProcess() as server:
        yield server


def _parse(raw: dict[str, Any]) -> Any:
    rule = parse_runnable(raw)
    assert isinstance(rule, RunnableHttp | RunnableTcp)
    return rule


def _seconds(data: dict[str, Any]) -> float:
    start = datetime.datetime.fromisoformat(data["startTimestamp"])
    end = datetime.datetime.fromisoformat(data["endTimestamp"])
    return (end - start).total_seconds()


def test_http_check_times_its_exchange(web: HttpServerProcess) -> None:
    rule = _parse({"type": "http", "url": web.url(f"/slow?delay={DELAY}")})

    data = http_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["status-code"] == 200
    assert DELAY <= _seconds(data) <= DELAY + SLACK


def test_http_check_does_not_time_preparing_its_request(
    web: HttpServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client's own work before the first connection (here made slow, as waiting for
    # the interpreter lock behind other rules makes it) is not network time.
    prepare = http_client.prepare_url

    def slow_prepare(url: str) -> str:
        time.sleep(DELAY)
        return prepare(url)

    monkeypatch.setattr(http_client, "prepare_url", slow_prepare)
    rule = _parse({"type": "http", "url": web.url(f"/slow?delay={DELAY}")})

    data = http_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["status-code"] == 200
    assert DELAY <= _seconds(data) <= DELAY + SLACK


def test_http_check_ends_when_the_answer_arrived_not_when_its_thread_read_it(
    web: HttpServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The thread reading the answer gets to it late (here it sleeps, as waiting for the
    # interpreter lock behind other rules makes it): the kernel's arrival time counts.
    record = http_check._record_response

    def late_record(*args: Any, **kwargs: Any) -> None:
        time.sleep(DELAY)
        record(*args, **kwargs)

    monkeypatch.setattr(http_check, "_record_response", late_record)
    rule = _parse({"type": "http", "url": web.url(f"/slow?delay={DELAY}")})

    data = http_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["status-code"] == 200
    assert DELAY <= _seconds(data) <= DELAY + SLACK


def test_http_check_does_not_time_its_thread_resuming_after_connect(
    web: HttpServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connection is up, but the thread that opened it gets the interpreter lock back
    # late (here it sleeps, as waiting behind other rules makes it): not network time.
    # The kernel's handshake time (``TCP_INFO``) counts instead.
    create = urllib3.util.connection.create_connection

    def late_resume(*args: Any, **kwargs: Any) -> socket.socket:
        sock = create(*args, **kwargs)
        time.sleep(DELAY)
        return sock

    monkeypatch.setattr(urllib3.util.connection, "create_connection", late_resume)
    rule = _parse({"type": "http", "url": web.url(f"/slow?delay={DELAY}")})

    data = http_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["status-code"] == 200
    assert DELAY <= _seconds(data) <= DELAY + SLACK


def test_http_check_counts_a_handshake_that_needed_its_syn_sent_again() -> None:
    # A listener whose accept queue is full drops SYNs: the client sends its SYN again
    # after about a second. The kernel's RTT then describes the last SYN only, so the
    # check must count the whole connect as it saw it (never less than the network took).
    with _FullQueueServer(accept_after=0.3) as server:
        rule = _parse({"type": "http", "url": f"http://127.0.0.1:{server.port}/"})
        data = http_check.run(rule, Deadline.after(10).for_rule(8))

    assert data["status-code"] == 200
    assert _seconds(data) >= 0.9  # the SYN retransmission timeout is 1 s


class _FullQueueServer:
    """An HTTP server whose accept queue is full until ``accept_after`` seconds have passed."""

    def __init__(self, accept_after: float) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._accept_after = accept_after
        self._fillers: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _FullQueueServer:
        for _ in range(2):  # one queued connection fills a backlog of 0; a second, pending
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self._fillers.append(filler)
        time.sleep(0.05)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        for filler in self._fillers:
            filler.close()

    def _serve(self) -> None:
        time.sleep(self._accept_after)
        self._listener.settimeout(5)
        for _ in range(3):
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.settimeout(0.5)
            try:
                if conn.recv(4096):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    conn.close()
                    return
            except OSError:
                conn.close()


def test_clock_starts_at_the_handshake_behind_the_first_send() -> None:
    clock = NetworkClock()
    clock.start()
    clock.connecting()
    clock.connected(0.01)  # the kernel: the handshake took 10 ms
    time.sleep(0.2)  # the thread resumes late
    clock.sending()
    time.sleep(0.05)
    clock.sending()  # a later send changes nothing
    clock.finish()
    assert 0.05 + 0.01 <= _seconds(clock.stamps()) < 0.2

    unknown = NetworkClock()  # no trustworthy handshake time: the whole connect counts
    unknown.start()
    unknown.connecting()
    time.sleep(0.1)
    unknown.connected(None)
    unknown.sending()
    unknown.finish()
    assert _seconds(unknown.stamps()) >= 0.1

    never_earlier = NetworkClock()  # a handshake longer than the wait: the start stays
    never_earlier.start()
    never_earlier.connecting()
    never_earlier.connected(5.0)
    never_earlier.sending()
    time.sleep(0.05)
    never_earlier.finish()
    assert 0.05 <= _seconds(never_earlier.stamps()) < 0.2


def test_clock_of_a_cut_exchange_keeps_its_whole_time() -> None:
    # Cut by its timeout (stopped, not finished): it lasted from its start to the cut,
    # even though its thread resumed late after connecting.
    cut = NetworkClock()
    cut.start()
    cut.connecting()
    cut.connected(0.001)
    time.sleep(0.2)  # the thread resumes late
    cut.sending()
    time.sleep(0.05)
    cut.stop()  # the waiting thread gives up
    cut.finish()  # the exchange's thread, later: changes nothing (the first end wins)
    assert _seconds(cut.stamps()) >= 0.25


def test_clock_restarts_once_at_the_first_connection_and_never_after_it_stopped() -> None:
    clock = NetworkClock()
    clock.start()
    time.sleep(0.2)  # preparing
    clock.connecting()  # the exchange starts here
    time.sleep(0.05)
    clock.connecting()  # a second connection (a redirect): still the first one's start
    assert 0.05 <= _seconds(clock.stamps()) < 0.2

    stopped = NetworkClock()
    stopped.start()
    stopped.stop()
    stamps = stopped.stamps()
    stopped.connecting()  # an abandoned exchange connecting late changes nothing
    assert stopped.stamps() == stamps


def test_http_check_that_times_out_lasts_its_timeout(web: HttpServerProcess) -> None:
    rule = _parse({"type": "http", "url": web.url("/slow?delay=5"), "timeout": DELAY})

    data = http_check.run(rule, Deadline.after(10).for_rule(DELAY))

    assert data["reason"] == "timeout"
    assert DELAY <= _seconds(data) <= DELAY + SLACK + 0.05  # call_within's grace


def test_http_body_still_dripping_at_the_timeout_lasts_the_timeout(
    web: HttpServerProcess,
) -> None:
    # The answer never completed: its end is the timeout, not the last byte that arrived
    # (a duration rule must not pass on an exchange that did not finish in time).
    rule = _parse({"type": "http", "url": web.url("/drip?bytes=100&delay=0.25"), "timeout": DELAY})

    data = http_check.run(rule, Deadline.after(10).for_rule(DELAY))

    assert data["reason"] == "timeout"
    assert DELAY <= _seconds(data) <= DELAY + SLACK + 0.05  # call_within's grace


def test_tcp_check_times_connect_and_banner() -> None:
    with BannerServer(b"") as server:  # connects at once, answers PING with PONG
        rule = _parse({"type": "tcp", "host": "127.0.0.1", "port": server.port, "send": "PING\n"})
        data = tcp_check.run(rule, Deadline.after(10).for_rule(5))

    assert data["connected"] is True
    assert 0 <= _seconds(data) <= SLACK


FAKE = "netchecks_probe_tests_timed_check"
#: What the fake check does before its exchange (reading files, building a client...).
SETUP = 0.3
#: How long its exchange takes.
EXCHANGE = 0.1


def _timed_run(rule: Any, deadline: Any) -> dict[str, Any]:
    time.sleep(SETUP)
    clock = NetworkClock()
    clock.start()
    time.sleep(EXCHANGE)
    clock.stop()
    return {"ok": True, **clock.stamps()}


@pytest.mark.parametrize("self_bounded", [True, False], ids=["in-worker", "watched-thread"])
def test_runner_reports_the_exchange_a_check_timed_not_the_whole_call(
    monkeypatch: pytest.MonkeyPatch, self_bounded: bool
) -> None:
    module = types.ModuleType(FAKE)
    module.DEFAULT_RULE = "true"  # type: ignore[attr-defined]
    module.SELF_BOUNDED = self_bounded  # type: ignore[attr-defined]
    module.run = _timed_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, FAKE, module)
    monkeypatch.setitem(checks.CHECK_MODULES, "internal", FAKE)
    rules = [{"name": f"r{i}", "type": "internal"} for i in range(4)]
    config = runnable_config({"assertions": [{"name": "timing", "rules": rules}]})

    results = run_config(config)["assertions"][0]["results"]

    assert [r["status"] for r in results] == ["pass"] * len(rules)
    for result in results:
        assert EXCHANGE <= _seconds(result["data"]) < SETUP, result["name"]


def test_handshake_time_is_read_on_linux_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other systems lay out ``struct tcp_info`` differently: their figures are not read.
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as client,
    ):
        handshake = arrival.handshake_seconds(client)
        assert handshake is not None and 0 < handshake < 1
        monkeypatch.setattr(sys, "platform", "freebsd14")
        assert arrival.handshake_seconds(client) is None
