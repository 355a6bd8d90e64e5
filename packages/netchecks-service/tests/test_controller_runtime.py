"""The controller runtime both services run, with a fake ``reconcile``: leadership gating,
retry back-off through ``error_policy`` and the retry taxonomy, and the shutdown order
(drain reconciles, then release the Lease)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from netchecks_core.errors import PermanentError, TemporaryError
from netchecks_service import controller as runtime
from netchecks_service.controller import Controller, serve_controller
from netchecks_service.settings import ServiceSettings

pytestmark = pytest.mark.timeout(30)

Key = tuple[str, str]
SLOW = 5.0


class FakeController(Controller[Key]):
    """Reconciles by calling ``behaviour``; retries as the services do (kopf-style split)."""

    def __init__(self, behaviour: Callable[[Key], str | None], known: Iterable[Key] = ()) -> None:
        super().__init__(workers=2, resync_period=3600.0, base_delay=0.05, max_delay=1.0)
        self.behaviour = behaviour
        self.known = list(known)
        self.calls: list[tuple[Key, float]] = []
        self.delays: list[float] = []
        self.outcomes: list[tuple[str, str]] = []
        self.called = threading.Condition()

    def reconcile(self, key: Key) -> str | None:
        with self.called:
            self.calls.append((key, time.monotonic()))
            self.called.notify_all()
        return self.behaviour(key)

    def error_policy(self, key: Key, error: Exception) -> float:
        if isinstance(error, TemporaryError):
            delay = self.queue.add_rate_limited(key, at_least=error.delay)
        elif isinstance(error, PermanentError):
            delay = self.queue.add_rate_limited(key, at_least=SLOW)
        else:
            delay = self.queue.add_rate_limited(key)
        self.delays.append(delay)
        return delay

    def keys(self) -> Iterable[Key]:
        return self.known

    def processed(self, key: Key, result: str, reason: str, seconds: float) -> None:
        self.outcomes.append((result, reason))

    def wait_calls(self, count: int, timeout: float = 10.0) -> None:
        with self.called:
            assert self.called.wait_for(lambda: len(self.calls) >= count, timeout), self.calls


@pytest.fixture
def started() -> Iterable[Callable[..., FakeController]]:
    made: list[FakeController] = []

    def make(behaviour: Callable[[Key], str | None], known: Iterable[Key] = ()) -> FakeController:
        controller = FakeController(behaviour, known)
        controller.start()
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.shutdown(timeout=5)


def test_workers_take_no_key_until_this_replica_leads_then_every_known_key(
    started: Callable[..., FakeController],
) -> None:
    controller = started(lambda key: "Done", known=[("ns", "a"), ("ns", "b")])
    controller.queue.add(("ns", "c"))
    time.sleep(0.3)  # absence: workers poll leadership every second at most
    assert controller.calls == []
    assert controller.queue.pending() == 1
    controller.start_leading()
    controller.wait_calls(3)
    assert {key for key, _ in controller.calls} == {("ns", "a"), ("ns", "b"), ("ns", "c")}
    assert controller.outcomes.count(("ok", "Done")) == 3


def test_after_losing_leadership_new_keys_wait_for_the_next_turn(
    started: Callable[..., FakeController],
) -> None:
    controller = started(lambda key: None)
    controller.start_leading()
    controller.queue.add(("ns", "a"))
    controller.wait_calls(1)
    controller.stop_leading()
    controller.queue.add(("ns", "b"))
    time.sleep(0.3)
    assert [key for key, _ in controller.calls] == [("ns", "a")]
    controller.start_leading()
    controller.wait_calls(2)
    assert controller.calls[1][0] == ("ns", "b")


def test_a_temporary_error_is_retried_after_its_delay_and_success_forgets_the_failures(
    started: Callable[..., FakeController],
) -> None:
    failures = iter([TemporaryError("busy", delay=0.4)])

    def behaviour(key: Key) -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "Done"

    controller = started(behaviour)
    controller.start_leading()
    controller.queue.add(("ns", "a"))
    controller.wait_calls(2)
    (_, first), (_, second) = controller.calls
    assert controller.delays == [pytest.approx(0.4)]
    assert second - first >= 0.4
    assert controller.outcomes == [("error", "TemporaryError"), ("ok", "Done")]
    assert controller.queue.failures(("ns", "a")) == 0


def test_other_failures_back_off_exponentially_and_a_permanent_one_waits_long(
    started: Callable[..., FakeController],
) -> None:
    def behaviour(key: Key) -> str:
        if key == ("ns", "taken"):
            raise PermanentError("name taken")
        raise RuntimeError("boom")

    controller = started(behaviour)
    controller.start_leading()
    controller.queue.add(("ns", "a"))
    controller.wait_calls(4)
    assert controller.delays[:3] == [0.05, 0.1, 0.2]  # base_delay doubling per failure
    controller.queue.add(("ns", "taken"))
    controller.wait_calls(5)
    deadline = time.monotonic() + 5
    while len(controller.delays) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert SLOW in controller.delays


def test_shutdown_drains_the_reconcile_in_progress(
    started: Callable[..., FakeController],
) -> None:
    release = threading.Event()
    finished = threading.Event()

    def behaviour(key: Key) -> None:
        release.wait(10)
        finished.set()

    controller = started(behaviour)
    controller.start_leading()
    controller.queue.add(("ns", "a"))
    controller.wait_calls(1)
    stopping = threading.Thread(target=controller.shutdown)
    stopping.start()
    stopping.join(0.3)
    assert stopping.is_alive(), "shutdown returned while a reconcile was running"
    release.set()
    stopping.join(10)
    assert not stopping.is_alive() and finished.is_set()
    assert not controller.alive()


class FakeElector:
    """Stands in for the Lease: records whether a reconcile still ran when it was released."""

    def __init__(self, busy: threading.Event) -> None:
        self.stop = threading.Event()
        self.busy = busy
        self.released_while_busy: bool | None = None

    def join(self, timeout: float | None = None) -> None:
        assert self.stop.is_set()
        if self.released_while_busy is None:  # the first release is the one that counts
            self.released_while_busy = self.busy.is_set()


def test_serve_releases_the_lease_only_after_the_reconciles_drained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy, release = threading.Event(), threading.Event()

    def behaviour(key: Key) -> None:
        busy.set()
        release.wait(10)
        time.sleep(0.1)  # still working after stop was asked for
        busy.clear()

    elector = FakeElector(busy)

    def campaign(*args: Any, on_started: Callable[[], None], **kwargs: Any) -> FakeElector:
        on_started()
        return elector

    monkeypatch.setattr(runtime, "campaign", campaign)
    controller = FakeController(behaviour, known=[("ns", "a")])
    stop = threading.Event()
    settings = ServiceSettings(http_addr="127.0.0.1:0", leader_election=True)
    serving = threading.Thread(
        target=serve_controller,
        args=("test", settings, None, controller, [], stop),
    )
    serving.start()
    assert busy.wait(10)
    stop.set()
    release.set()
    serving.join(15)
    assert not serving.is_alive()
    assert elector.released_while_busy is False
