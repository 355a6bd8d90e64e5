"""Fault injection: what tests call to make the control plane misbehave on purpose."""

from __future__ import annotations

import re
import signal
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .auth import RequestInfo
from .errors import ApiError, GroupResource

if TYPE_CHECKING:
    from .sim import KubeSim

Obj = dict[str, Any]


@dataclass
class _Rule:
    remaining: int
    code: int
    verb: str | None
    path: re.Pattern[str] | None
    retry_after: int | None
    message: str | None

    def matches(self, info: RequestInfo) -> bool:
        if self.verb is not None and self.verb != info.verb:
            return False
        return self.path is None or bool(self.path.search(info.path))


@dataclass
class _Latency:
    seconds: float
    verb: str | None
    path: re.Pattern[str] | None


_MESSAGES = {
    500: ("InternalError", "Internal error occurred: kubesim injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    429: (
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
    ),
    504: (
        "Timeout",
        "Timeout: request did not complete within requested timeout - context deadline exceeded",
    ),
    410: ("Expired", "too old resource version"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "forbidden"),
}


class Faults:
    """Injected failures; every method is safe to call from a test thread."""

    def __init__(self, sim: KubeSim) -> None:
        self._sim = sim
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._latency: list[_Latency] = []
        self._log_unavailable: dict[tuple[str, str], tuple[int, float | None]] = {}
        self._malformed: list[tuple[str, re.Pattern[str] | None]] = []
        self._node_rewrites: dict[str, dict[str, str]] = {}
        #: Server-side cap on new watches' duration (None: Settings.max_watch_seconds).
        self.watch_timeout: float | None = None

    # -- request faults ------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        code: int = 500,
        verb: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests matching ``verb`` (get, list, watch, create,
        update, patch, delete, deletecollection) and ``path`` (a regex searched in the URL
        path) with ``code``: 500, 503, 429 (with ``Retry-After``), 409, 504, 410 ...
        """
        compiled = re.compile(path) if path else None
        with self._lock:
            self._rules.append(_Rule(count, code, verb, compiled, retry_after, message))

    def add_latency(self, seconds: float, verb: str | None = None, path: str | None = None) -> None:
        """Delay matching requests (for watches: the first byte) by ``seconds``."""
        with self._lock:
            self._latency.append(_Latency(seconds, verb, re.compile(path) if path else None))

    def clear(self) -> None:
        """Remove pending request failures, latency and log outages."""
        with self._lock:
            self._rules.clear()
            self._latency.clear()
            self._log_unavailable.clear()
            self._malformed.clear()
            self._node_rewrites.clear()
            self.watch_timeout = None
        for name in list(self._paused):
            self.resume_controller(name)

    def before_request(self, info: RequestInfo) -> None:
        """Called by the server for every resource request: sleep and/or raise."""
        delay = 0.0
        failure: _Rule | None = None
        with self._lock:
            for lat in self._latency:
                if (lat.verb is None or lat.verb == info.verb) and (
                    lat.path is None or lat.path.search(info.path)
                ):
                    delay += lat.seconds
            for rule in self._rules:
                if rule.remaining > 0 and rule.matches(info):
                    rule.remaining -= 1
                    failure = rule
                    break
            self._rules = [r for r in self._rules if r.remaining > 0]
        if delay:
            time.sleep(delay)
        if failure is not None:
            raise self._error(failure, info)

    @staticmethod
    def _error(rule: _Rule, info: RequestInfo) -> ApiError:
        headers: dict[str, str] = {}
        details: Obj = {}
        if rule.code == 409:
            gr = GroupResource(info.group, info.resource)
            reason = "Conflict"
            message = rule.message or (
                f'Operation cannot be fulfilled on {gr} "{info.name or ""}": the object has been '
                "modified; please apply your changes to the latest version and try again"
            )
            details = gr.details(info.name or "")
        else:
            reason, default = _MESSAGES.get(rule.code, ("InternalError", "injected fault"))
            message = rule.message or default
        if rule.retry_after is not None or rule.code in (429, 503):
            seconds = 1 if rule.retry_after is None else rule.retry_after
            headers["Retry-After"] = str(seconds)
            details["retryAfterSeconds"] = seconds
        if rule.code == 500:
            details["causes"] = [{"message": message}]
        return ApiError(rule.code, reason, message, details or None, headers)

    # -- watch faults --------------------------------------------------------------

    def drop_watches(self) -> int:
        """End every open watch stream now (clients see the server close it)."""
        return self._sim.close_watches()

    def expire_history(self) -> None:
        """Compact the watch history: a resume from any past RV gets ERROR 410 Expired."""
        self._sim.store.expire_history()

    def set_watch_timeout(self, seconds: float | None) -> None:
        """Short server-side timeouts: new watches end cleanly after ``seconds`` (clients
        without timeoutSeconds reconnect from their last RV)."""
        self.watch_timeout = seconds

    def malform_next_watch(self, kind: str, count: int = 1, path: str | None = None) -> None:
        """Defects the real server never sends, for client robustness tests: ``blank_line``
        (a lone newline before the events), ``partial_json`` (a truncated document, then
        the stream ends) or ``error_without_code`` (an ERROR Status lacking ``code``)."""
        if kind not in ("blank_line", "partial_json", "error_without_code"):
            raise ValueError(kind)
        with self._lock:
            self._malformed.extend([(kind, re.compile(path) if path else None)] * count)

    def take_malformed(self, path: str) -> str | None:
        with self._lock:
            for i, (kind, pattern) in enumerate(self._malformed):
                if pattern is None or pattern.search(path):
                    del self._malformed[i]
                    return kind
        return None

    # -- controller faults -------------------------------------------------------------

    @property
    def _paused(self) -> set[str]:
        return self._sim.controllers.paused

    def pause_controller(self, name: str) -> None:
        """Controller downtime: ``garbage-collector``, ``namespace-controller``,
        ``job-controller``, ``cronjob-controller`` or ``kubelet`` stops processing (work
        queues up) until :meth:`resume_controller`."""
        self._sim.controllers.pause(name)

    def resume_controller(self, name: str) -> None:
        self._sim.controllers.resume(name)

    # -- server faults ---------------------------------------------------------------

    def restart_server(self, downtime: float = 0.0) -> None:
        """Stop the HTTP server (dropping all connections) and start it again on the same
        port after ``downtime`` seconds; stored state is kept.
        """
        self._sim.restart(downtime)

    def bump(self, group: str, version: str, plural: str, namespace: str | None, name: str) -> str:
        """A racing writer: touch an annotation so the client's resourceVersion is stale."""
        api = self._sim.api
        rt = api.resource(group, version, plural)

        def touch(obj: Obj) -> None:
            notes = obj["metadata"].setdefault("annotations", {})
            notes["kubesim.io/bumped"] = str(int(notes.get("kubesim.io/bumped", "0")) + 1)

        stored = api.mutate(rt, namespace, name, touch)
        if stored is None:
            raise KeyError(name)
        return str(stored["metadata"]["resourceVersion"])

    # -- pod faults ------------------------------------------------------------------

    def kill_pod(
        self,
        namespace: str,
        name: str,
        container: str | None = None,
        sig: int = signal.SIGKILL,
        reason: str | None = None,
    ) -> None:
        """Kill a running Pod's container process(es); ``reason="OOMKilled"`` reports it
        as an out-of-memory kill (exit 137).
        """
        self._sim.kubelet.kill(namespace, name, container, sig, reason)

    def rewrite_on_node(self, node: str, address: str, replacement: str) -> None:
        """From ``node`` only, ``address`` (e.g. ``127.0.0.1:8080``) means ``replacement``
        (e.g. a closed port): the kubelet replaces the text in the args, env values and
        ConfigMap/Secret volume files of Pods it starts on that node. This is how a test
        makes a target unreachable from one node, as a broken CNI agent or a node-local
        firewall would. Applies to Pods started afterwards."""
        with self._lock:
            self._node_rewrites.setdefault(node, {})[address] = replacement

    def node_rewrites(self, node: str) -> dict[str, str]:
        """The address rewrites in force on ``node`` (empty: none)."""
        with self._lock:
            return dict(self._node_rewrites.get(node) or {})

    def lose_pod(self, namespace: str, name: str, delete: bool = False) -> None:
        """Node loss for one Pod: its processes die without a word, the kubelet stops
        reporting it, and its status becomes phase Unknown, Ready=False (NodeLost). With
        ``delete`` it is then force-deleted, as the pod GC does for lost nodes."""
        self._sim.kubelet.lose(namespace, name)
        api = self._sim.api
        rt = api.resource("", "v1", "pods")
        node = api.get(rt, namespace, name)["spec"].get("nodeName", "")

        def unknown(pod: Obj) -> None:
            status = pod.setdefault("status", {})
            status["phase"] = "Unknown"
            status["reason"] = "NodeLost"
            status["message"] = f"Node {node} which was running pod {name} is unresponsive"
            for cond in status.get("conditions") or []:
                if cond.get("type") in ("Ready", "ContainersReady"):
                    cond["status"] = "False"
                    cond["reason"] = "NodeLost"

        api.mutate(rt, namespace, name, unknown, "status")
        if delete:
            from .api import DeleteOptions

            api.delete(rt, namespace, name, DeleteOptions(grace_period_seconds=0))

    def pod_log_unavailable(
        self, namespace: str, name: str, code: int = 400, seconds: float | None = None
    ) -> None:
        """Make ``/log`` of the Pod fail (400 ContainerCreating by default, or e.g. 500 as
        when the kubelet is unreachable) for ``seconds`` or until :meth:`pod_log_available`.
        """
        until = None if seconds is None else time.monotonic() + seconds
        with self._lock:
            self._log_unavailable[(namespace, name)] = (code, until)

    def pod_log_available(self, namespace: str, name: str) -> None:
        with self._lock:
            self._log_unavailable.pop((namespace, name), None)

    def check_log(self, namespace: str, name: str, container: str) -> None:
        with self._lock:
            entry = self._log_unavailable.get((namespace, name))
        if entry is None:
            return
        code, until = entry
        if until is not None and time.monotonic() > until:
            self.pod_log_available(namespace, name)
            return
        if code == 400:
            raise ApiError(
                400,
                "BadRequest",
                f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating',
            )
        raise ApiError(
            code,
            _MESSAGES.get(code, ("InternalError", ""))[0],
            f'Get "https://127.0.0.1:10250/containerLogs/{namespace}/{name}/{container}"'
            ": dial tcp 127.0.0.1:10250: connect: connection refused",
        )
