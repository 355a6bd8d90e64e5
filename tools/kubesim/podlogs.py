"""Container logs as the kubelet keeps them, and the ``pods/log`` endpoint's rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import parse_time
from .errors import ApiError, bad_request
from .query import query_int

if TYPE_CHECKING:
    from .api import Api
    from .faults import Faults

Obj = dict[str, Any]


#: Bytes a CRI log line adds to its content: `` stdout F `` after the timestamp.
_CRI_OVERHEAD = len(b" stdout F ")


class ContainerLog:
    """The merged stdout+stderr of one container instance, line by line with times.

    Like the kubelet's container log manager (``containerLogMaxSize``), the log file is
    rotated once it would grow past ``max_size`` bytes (counted in the CRI format, with
    timestamp and stream): the lines written so far are rotated away and ``pods/log``
    serves only the current file. ``lines`` holds the current file; ``first`` is the
    index, over the whole run, of its first line.
    """

    def __init__(self, max_size: int) -> None:
        self.lines: list[tuple[datetime, bytes]] = []
        self.first = 0
        self.size = 0
        self.max_size = max_size
        self.done = False
        self.cond = threading.Condition()

    def append(self, when: datetime, line: bytes) -> None:
        cost = len(_stamp(when)) + _CRI_OVERHEAD + len(line)
        with self.cond:
            if self.lines and self.size + cost > self.max_size:
                self.first += len(self.lines)
                self.lines, self.size = [], 0
            self.lines.append((when, line))
            self.size += cost
            self.cond.notify_all()

    def end(self) -> int:
        """The index, over the whole run, after the last line written (under ``cond``)."""
        return self.first + len(self.lines)

    def after(self, index: int) -> list[tuple[datetime, bytes]]:
        """Lines from ``index`` on that are still in the current file (under ``cond``)."""
        return self.lines[max(0, index - self.first) :]

    def close(self) -> None:
        with self.cond:
            self.done = True
            self.cond.notify_all()


def _stamp(when: datetime) -> bytes:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z").encode()


class LogStore:
    """Logs per (pod uid, container): one ContainerLog per run (restarts append)."""

    def __init__(self, api: Api, faults: Faults, max_size: int) -> None:
        self.api = api
        self.faults = faults
        self.max_size = max_size
        self._lock = threading.Lock()
        self._logs: dict[tuple[str, str], list[ContainerLog]] = {}

    def new_instance(self, uid: str, container: str) -> ContainerLog:
        log = ContainerLog(self.max_size)
        with self._lock:
            self._logs.setdefault((uid, container), []).append(log)
        return log

    def instances(self, uid: str, container: str) -> list[ContainerLog]:
        with self._lock:
            return list(self._logs.get((uid, container), []))

    def forget(self, uid: str) -> None:
        with self._lock:
            for key in [k for k in self._logs if k[0] == uid]:
                del self._logs[key]

    def serve(self, namespace: str, name: str, query: dict[str, str]) -> bytes | Iterator[bytes]:
        """The body of ``GET .../pods/{name}/log`` (bytes, or chunks when following)."""
        pod = self.api.get(self.api.resource("", "v1", "pods"), namespace, name)
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        names = [c["name"] for c in spec.get("containers") or []]
        init_names = [c["name"] for c in spec.get("initContainers") or []]
        container = query.get("container")
        if not container:
            if len(names) != 1:
                message = (
                    f"a container name must be specified for pod {name}, choose one of: "
                    f"[{' '.join(names)}]"
                )
                if init_names:
                    message += f" or one of the init containers: [{' '.join(init_names)}]"
                raise bad_request(message)
            container = names[0]
        if container not in names + init_names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        self.faults.check_log(namespace, name, container)
        if not spec.get("nodeName"):
            return b""
        if query.get("sinceSeconds") and query.get("sinceTime"):
            raise ApiError(
                422, "Invalid", "at most one of `sinceTime` or `sinceSeconds` may be specified"
            )
        runs = self.instances(pod["metadata"]["uid"], container)
        if query.get("previous") == "true":
            if len(runs) < 2:
                raise bad_request(
                    f'previous terminated container "{container}" in pod "{name}" not found'
                )
            log = runs[-2]
        elif not runs:
            reason = _waiting_reason(status, container)
            raise bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        else:
            log = runs[-1]
        return self._render(log, query)

    def _render(self, log: ContainerLog, query: dict[str, str]) -> bytes | Iterator[bytes]:
        since: datetime | None = None
        if (since_seconds := query_int(query, "sinceSeconds")) is not None:
            since = self.api.clock.now() - timedelta(seconds=since_seconds)
        elif query.get("sinceTime"):
            since = parse_time(query["sinceTime"])
        stamps = query.get("timestamps") == "true"
        limit = query_int(query, "limitBytes")
        tail = query_int(query, "tailLines")

        def fmt(entry: tuple[datetime, bytes]) -> bytes:
            return (_stamp(entry[0]) + b" " + entry[1]) if stamps else entry[1]

        with log.cond:
            lines = [entry for entry in log.lines if since is None or entry[0] >= since]
            if tail is not None:
                lines = lines[-tail:] if tail > 0 else []
            start = log.end()
        body = b"".join(fmt(e) for e in lines)
        if limit is not None:
            body = body[:limit]
        if query.get("follow") != "true":
            return body
        return self._follow(log, body, start, fmt, limit)

    @staticmethod
    def _follow(
        log: ContainerLog, first: bytes, start: int, fmt: Any, limit: int | None
    ) -> Iterator[bytes]:
        sent = len(first)
        yield first
        index = start
        while limit is None or sent < limit:
            with log.cond:
                while index >= log.end() and not log.done:
                    log.cond.wait(1.0)
                fresh = log.after(index)
                index = log.end()
                finished = log.done and not fresh
            if finished:
                return
            chunk = b"".join(fmt(e) for e in fresh)
            if limit is not None:
                chunk = chunk[: limit - sent]
            sent += len(chunk)
            yield chunk


def _waiting_reason(status: Obj, container: str) -> str:
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            reason = ((cs.get("state") or {}).get("waiting") or {}).get(
                "reason", "ContainerCreating"
            )
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                return "trying and failing to pull image"
            return str(reason)
    return "ContainerCreating"
