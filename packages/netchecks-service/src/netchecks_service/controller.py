"""The controller runtime of both services: events -> work queue -> reconcile -> error policy.

A service subclasses :class:`Controller` and defines only its event handlers (informer
callbacks that put keys on :attr:`Controller.queue`), :meth:`~Controller.reconcile`,
:meth:`~Controller.error_policy` and :meth:`~Controller.keys` (every key it knows of).
The runtime owns the rest:

- ``workers`` threads take keys only while this replica leads; a key taken just as
  leadership went is put back for the next leader turn;
- on gaining leadership, and every ``resync_period`` while leading, every key is queued
  (events drive everything else: the resync is a safety net);
- each worker beats a heartbeat every turn: :meth:`~Controller.alive` feeds ``/livez``;
- ``process``: reconcile inside the key's log context; success forgets the key's
  failures, a failure goes to ``error_policy``, which schedules the retry and returns
  its delay (switching on :class:`~netchecks_service.errors.PermanentError` and
  :class:`~netchecks_service.errors.TemporaryError`).

Shutdown order (:func:`serve_controller`, the same for both services):

1. stop leading: workers take no new key;
2. drain: wait (bounded) for the reconciles in progress to finish;
3. release the Lease: a successor starts only after this replica's last write, so two
   replicas never reconcile at the same time;
4. stop the informers, then the health server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar, cast

from netchecks_service.health import Heartbeat
from netchecks_service.informer import InformerGroup
from netchecks_service.kube import KubeApi
from netchecks_service.logs import object_context
from netchecks_service.runtime import campaign, serve_health
from netchecks_service.settings import ServiceSettings
from netchecks_service.workqueue import WorkQueue

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

#: How long :meth:`Controller.shutdown` waits for reconciles in progress (seconds).
DRAIN_TIMEOUT = 10.0


class Controller(Generic[K]):
    """Queue, workers, resync, heartbeat and leadership gating around :meth:`reconcile`."""

    def __init__(
        self,
        *,
        workers: int,
        resync_period: float,
        base_delay: float = 0.1,
        max_delay: float = 300.0,
        heartbeat_max_age: float = 60.0,
    ) -> None:
        self.workers = workers
        self.resync_period = resync_period
        self.queue: WorkQueue[K] = WorkQueue(base_delay=base_delay, max_delay=max_delay)
        self.leading = threading.Event()
        self.stop = threading.Event()
        self.heartbeats = [Heartbeat(max_age=heartbeat_max_age) for _ in range(workers)]
        self._workers: list[threading.Thread] = []
        self._threads: list[threading.Thread] = []
        self._busy = [False] * workers

    # -- what a service defines --------------------------------------------------------------

    def reconcile(self, key: K) -> str | None:
        """Bring the world in line for one key; returns the outcome's reason (for metrics)."""
        raise NotImplementedError

    def error_policy(self, key: K, error: Exception) -> float:
        """Schedule the retry of a failed key (on :attr:`queue`); returns the delay."""
        raise NotImplementedError

    def keys(self) -> Iterable[K]:
        """Every key to reconcile on leadership and at each resync."""
        raise NotImplementedError

    def log_context(self, key: K) -> AbstractContextManager[None]:
        """Tags the log lines of one key's reconcile (default: namespace and name)."""
        namespace, name = cast(tuple[str, str], key)
        return object_context(namespace, name)

    def processed(self, key: K, result: str, reason: str, seconds: float) -> None:
        """Called after each reconcile (``result`` is ``ok`` or ``error``): metrics hook."""

    # -- leadership --------------------------------------------------------------------------

    def enqueue_all(self) -> None:
        """Queue every key (on leadership and at each resync)."""
        for key in self.keys():
            self.queue.add(key)

    def start_leading(self) -> None:
        """This replica now leads: work through every key."""
        self.leading.set()
        self.enqueue_all()

    def stop_leading(self) -> None:
        """Another replica leads (or this one stops): take no more keys."""
        self.leading.clear()

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the resync loop (daemon threads)."""
        for index in range(self.workers):
            worker = threading.Thread(
                target=self._work, args=(index,), name=f"worker-{index}", daemon=True
            )
            worker.start()
            self._workers.append(worker)
        resync = threading.Thread(target=self._resync, name="resync", daemon=True)
        resync.start()
        self._threads = [*self._workers, resync]

    def shutdown(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Stop taking keys and wait (at most ``timeout``) for reconciles in progress."""
        self.stop.set()
        self.queue.shutdown()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def alive(self) -> bool:
        """Liveness: every worker thread runs and turns (or is busy with a reconcile)."""
        return bool(self._workers) and all(
            worker.is_alive() and (heartbeat.fresh() or busy)
            for worker, heartbeat, busy in zip(
                self._workers, self.heartbeats, self._busy, strict=True
            )
        )

    def _resync(self) -> None:
        while not self.stop.wait(self.resync_period):
            if self.leading.is_set():
                self.enqueue_all()

    def _work(self, index: int) -> None:
        while not self.stop.is_set():
            self.heartbeats[index].beat()
            if not self.leading.wait(1.0):
                continue
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            self._busy[index] = True
            try:
                if self.leading.is_set():
                    self.process(key)
                else:
                    self.queue.add(key)  # picked up again once this replica leads
            finally:
                self._busy[index] = False
                self.queue.done(key)

    def process(self, key: K) -> None:
        """Reconcile one key; on failure, let :meth:`error_policy` schedule the retry."""
        start = time.perf_counter()
        result, reason = "ok", ""
        with self.log_context(key):
            try:
                reason = self.reconcile(key) or ""
                self.queue.forget(key)
            except Exception as error:  # noqa: BLE001 - the loop boundary: every failure is retried
                result, reason = "error", type(error).__name__
                delay = self.error_policy(key, error)
                log.warning("reconcile failed (%s); retrying in %.2fs", error, delay)
            finally:
                self.processed(key, result, reason, time.perf_counter() - start)


def serve_controller(
    prog: str,
    settings: ServiceSettings,
    api: KubeApi,
    controller: Controller[Any],
    informers: Sequence[InformerGroup],
    stop: threading.Event,
    *,
    close: Callable[[], None] = lambda: None,
) -> None:
    """Run a controller until ``stop`` is set, then shut down in the documented order.

    Serves health (ready once every informer listed, live while the workers turn),
    starts the informers and the workers, campaigns for ``settings.lease_name``;
    ``close`` stops the informers (step 4).
    """
    server = serve_health(
        prog,
        settings.http_addr,
        synced=lambda: all(group.synced() for group in informers),
        alive=controller.alive,
    )
    try:
        for group in informers:
            group.start()
        controller.start()
        elector = campaign(
            settings,
            api,
            on_started=controller.start_leading,
            on_stopped=controller.stop_leading,
        )
        stop.wait()
        log.info("stopping: finishing reconciles in progress")
        controller.stop_leading()
        controller.shutdown()
        # The Lease goes only now, so a successor never overlaps reconciles still running here.
        if elector is not None:
            elector.stop.set()
            elector.join(timeout=10)
        close()
    finally:
        server.stop()
