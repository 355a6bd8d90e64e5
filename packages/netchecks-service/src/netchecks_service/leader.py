"""Leader election on a ``coordination.k8s.io/v1`` Lease (client-go's algorithm, stoppable).

Candidates read the Lease every ``retry_period``. The holder renews it; the
others take it over once they have seen the same record unchanged for
``lease_duration`` (measured on their own monotonic clock, so clock skew between
nodes does not matter). Writes are PUTs conditional on the resourceVersion read,
so two candidates can never both win. A leader that cannot renew within
``renew_deadline`` steps down; a leader that stops releases the Lease so a
successor takes over at once.

Unlike ``kubernetes.leaderelection``, this one can be stopped, releases on stop,
can lead again after losing, and logs only transitions.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from netchecks_service.errors import ConflictError, KubeError, NotFoundError
from netchecks_service.kube import LEASES, KubeApi

log = logging.getLogger(__name__)

#: What one look at the Lease found.
_HELD, _TAKEN, _UNKNOWN = "held", "taken", "unknown"


def _micro_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Campaign for a Lease; call the callbacks when leadership starts and stops."""

    def __init__(
        self,
        api: KubeApi,
        *,
        name: str,
        namespace: str,
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_started: Callable[[], None] | None = None,
        on_stopped: Callable[[], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > retry_period > 0")
        self.api = api
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.on_started = on_started or (lambda: None)
        self.on_stopped = on_stopped or (lambda: None)
        self.stop = stop or threading.Event()
        self.is_leader = threading.Event()
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._last_renew = 0.0
        self._lease: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        """Campaign in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="leader-election", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> None:
        """Wait for the campaign to end (once :attr:`stop` is set, it releases the Lease)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Campaign until :attr:`stop` is set, then release the Lease if held."""
        log.info(
            "leader election: %s campaigns for lease %s/%s",
            self.identity,
            self.namespace,
            self.name,
        )
        while not self.stop.is_set():
            try:
                outcome = self._try_acquire_or_renew()
            except KubeError as error:
                log.debug("leader election: %s", error)
                outcome = _UNKNOWN
            now = time.monotonic()
            if outcome == _HELD:
                self._last_renew = now
                if not self.is_leader.is_set():
                    log.info("leader election: %s is now the leader", self.identity)
                    self.is_leader.set()
                    self._call(self.on_started)
            elif self.is_leader.is_set() and (
                # Someone else holds a valid Lease: step down at once, never lead alongside
                # it. Only when the Lease cannot be read does the renew deadline apply.
                outcome == _TAKEN or now - self._last_renew > self.renew_deadline
            ):
                log.warning("leader election: %s lost the lease", self.identity)
                self.is_leader.clear()
                self._call(self.on_stopped)
            self.stop.wait(self.retry_period)
        if self.is_leader.is_set():
            self.is_leader.clear()
            self._release()
            self._call(self.on_stopped)

    @staticmethod
    def _call(callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            log.exception("leader election callback failed")

    def _spec(self, acquire_time: str | None, transitions: int) -> dict[str, Any]:
        now = _micro_now()
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, round(self.lease_duration)),
            "acquireTime": acquire_time or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    def _try_acquire_or_renew(self) -> str:
        """:data:`_HELD` (acquired or renewed), :data:`_TAKEN` (another holder's Lease is
        valid) or :data:`_UNKNOWN` (a write lost a race: look again next period)."""
        try:
            lease = self.api.get(LEASES, self.name, self.namespace)
        except NotFoundError:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(None, 0),
            }
            try:
                self._lease = self.api.create(LEASES, body, self.namespace)
            except ConflictError:
                return _UNKNOWN
            return _HELD
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseDurationSeconds"))
        now = time.monotonic()
        if record != self._observed:
            self._observed, self._observed_at = record, now
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and now < self._observed_at + duration:
            return _TAKEN
        transitions = int(spec.get("leaseTransitions") or 0)
        acquire = spec.get("acquireTime") if holder == self.identity else None
        if holder != self.identity:
            transitions += 1
        lease["spec"] = self._spec(acquire, transitions)
        try:
            self._lease = self.api.replace(LEASES, lease, self.namespace)
        except ConflictError:
            return _UNKNOWN
        return _HELD

    def _release(self) -> None:
        lease = self._lease
        if lease is None:
            return
        try:
            current = self.api.get(LEASES, self.name, self.namespace)
            if (current.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            current["spec"]["holderIdentity"] = None
            current["spec"]["leaseDurationSeconds"] = 1
            current["spec"]["renewTime"] = _micro_now()
            self.api.replace(LEASES, current, self.namespace)
            log.info("leader election: %s released the lease", self.identity)
        except KubeError as error:
            log.warning("leader election: could not release the lease: %s", error)
