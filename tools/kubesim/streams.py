"""Streamed answers of the HTTP front end: watches, as chunked JSON lines.

Mixed into :class:`~.server.Handler`, which also streams followed pod logs with these.
"""

from __future__ import annotations

import json
import queue
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from . import tables, views
from .errors import ApiError, bad_request
from .query import query_flag, query_seconds
from .resources import ResourceType
from .selectors import parse_field_selector, parse_label_selector
from .watch import Watcher

if TYPE_CHECKING:
    from .server import SimHTTPServer

Obj = dict[str, Any]


def _bookmark_event(rt: ResourceType, rv: str, annotations: dict[str, str] | None = None) -> Obj:
    """A BOOKMARK event: only the resourceVersion (and ``annotations``) of ``rt``'s kind."""
    metadata: Obj = {"resourceVersion": rv}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "type": "BOOKMARK",
        "object": {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": metadata},
    }


class Streams(BaseHTTPRequestHandler):
    """Watch streams and the chunked-response primitives."""

    server: SimHTTPServer
    #: The negotiated form of this request's objects (Table, metadata or as they are).
    _output: tables.Output = tables.PLAIN

    def _watch(self, rt: ResourceType, namespace: str | None, query: dict[str, str]) -> None:
        sim = self.server.sim
        rv_text = query.get("resourceVersion") or ""
        try:
            since = None if rv_text in ("", "0") else int(rv_text)
        except ValueError as exc:
            raise bad_request(f"invalid resource version: {rv_text}") from exc
        timeout = query_seconds(query, "timeoutSeconds")
        if timeout is None:
            timeout = float(sim.settings.max_watch_seconds)
        if sim.faults.watch_timeout is not None:
            timeout = min(timeout, sim.faults.watch_timeout)
        malformed = sim.faults.take_malformed(self.path)
        bookmarks = query_flag(query.get("allowWatchBookmarks"))
        watcher = Watcher(
            rt.storage_key,
            namespace if rt.namespaced else None,
            parse_label_selector(query.get("labelSelector")),
            parse_field_selector(query.get("fieldSelector"), rt.field_labels, sim.api.describe(rt)),
        )
        initial = query_flag(query.get("sendInitialEvents"))
        if initial:
            since = None
        with sim.store.lock:
            if since is None:
                for obj in sim.store.list(rt.storage_key, watcher.namespace):
                    if watcher.matches(obj):
                        watcher.events.put(("ADDED", obj))
            if initial:
                rv = str(sim.store.resource_version)
                watcher.events.put(("INITIAL_END", {"metadata": {"resourceVersion": rv}}))
            too_old = sim.store.subscribe(watcher, since)
        sim.register_watch(watcher)
        try:
            self._start_stream("application/json")
            if too_old is not None:
                status = ApiError(
                    410, "Expired", f"too old resource version: {since} ({too_old})"
                ).status()
                self._write_chunk({"type": "ERROR", "object": status})
                self._end_stream()
                return
            if malformed is not None:
                self._malformed(malformed)
                if malformed != "blank_line":
                    return
            self._pump(rt, watcher, time.monotonic() + timeout, bookmarks)
        finally:
            sim.store.unsubscribe(watcher)
            sim.unregister_watch(watcher)

    def _pump(self, rt: ResourceType, watcher: Watcher, deadline: float, bookmarks: bool) -> None:
        sim = self.server.sim
        interval = sim.settings.bookmark_interval
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if bookmarks:
                    self._bookmark(rt, watcher)
                self._end_stream()
                return
            wait = min(remaining, interval) if bookmarks else min(remaining, 5.0)
            try:
                kind, obj = watcher.events.get(timeout=wait)
            except queue.Empty:
                if bookmarks:
                    self._bookmark(rt, watcher)
                continue
            if kind == "INITIAL_END":
                rv = obj["metadata"]["resourceVersion"]
                self._write_chunk(_bookmark_event(rt, rv, {"k8s.io/initial-events-end": "true"}))
                continue
            if kind == "CLOSE":
                self._end_stream()
                return
            self._write_chunk({"type": kind, "object": views.present(rt, obj)})

    def _malformed(self, kind: str) -> None:
        """Stream defects a real server never produces (fault injection only)."""
        if kind == "blank_line":
            self._write_raw(b"\n")
        elif kind == "partial_json":
            self._write_raw(b'{"type": "ADDED", "object": {"kind": \n')
            self._end_stream()
        elif kind == "error_without_code":
            self._write_chunk(
                {
                    "type": "ERROR",
                    "object": {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "metadata": {},
                        "status": "Failure",
                        "message": "malformed by kubesim",
                    },
                }
            )
            self._end_stream()

    def _bookmark(self, rt: ResourceType, watcher: Watcher) -> None:
        store = self.server.sim.store
        with store.lock:
            if not watcher.events.empty():
                return
            rv = store.resource_version
        self._write_chunk(_bookmark_event(rt, str(rv)))

    # -- chunked responses ----------------------------------------------------------

    def _start_stream(self, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

    def _write_chunk(self, event: Obj) -> None:
        self._write_raw(json.dumps(self._output.event(event)).encode() + b"\n")

    def _write_raw(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
