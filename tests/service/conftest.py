"""In-process tests of the service plumbing and the controllers against kubesim.

No service process is started: the code under test runs in the test's process and
talks HTTP to kubesim through the real :class:`KubeApi`. ``sim.requests`` (the
request log) shows which API calls it made, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from netchecks_service.kube import KubeApi, load_api_client

from tools.kubesim import KubeSim
from tools.kubesim.pytest_plugin import *  # noqa: F403 - kubesim's fixtures


class Loop(Protocol):
    """A background loop of the plumbing (an informer, an elector): ``start`` and ``stop``."""

    stop: threading.Event

    def start(self) -> threading.Thread: ...


LoopT = TypeVar("LoopT", bound=Loop)


def kube_api_for(sim: KubeSim, directory: Path) -> KubeApi:
    """The netchecks JSON adapter bound to ``sim`` (a kubeconfig written in ``directory``)."""
    client = load_api_client(str(sim.write_kubeconfig(directory / f"kubeconfig-{sim.port}")))
    client.configuration.proxy = None
    return KubeApi(client, request_timeout=10.0)


@pytest.fixture(scope="session")
def kube(kubeconfig: Path) -> Iterator[KubeApi]:
    """The netchecks JSON adapter bound to the session's kubesim."""
    client = load_api_client(str(kubeconfig))
    client.configuration.proxy = None
    yield KubeApi(client, request_timeout=10.0)
    client.close()


@pytest.fixture
def private_kube(
    make_kubesim: Callable[..., KubeSim],
    tmp_path: Path,
) -> Callable[..., tuple[KubeSim, KubeApi]]:
    """``private_kube(**settings)``: a private kubesim (no controllers unless asked) and an
    adapter bound to it, for tests that change server-wide settings or faults."""

    def make(**settings: object) -> tuple[KubeSim, KubeApi]:
        settings.setdefault("controllers", False)
        sim = make_kubesim(**settings)
        return sim, kube_api_for(sim, tmp_path)

    return make


@pytest.fixture
def started() -> Iterator[Callable[[LoopT], LoopT]]:
    """``started(loop)``: start a loop now; at the end of the test, stop every one, and
    wait (bounded) for those that finish their work on stop (an elector releases its
    Lease). An informer's thread ends at its watch's next event; nothing waits for it."""
    threads: list[tuple[Loop, threading.Thread]] = []

    def start(loop: LoopT) -> LoopT:
        threads.append((loop, loop.start()))
        return loop

    yield start
    for loop, _thread in threads:
        loop.stop.set()
    for loop, thread in threads:
        if hasattr(loop, "join"):
            thread.join(timeout=5)
