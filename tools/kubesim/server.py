"""The HTTP front end: routing, the request pipeline, JSON and streaming responses.

Pipeline per request: parse -> authenticate -> authorize -> faults -> handler. Watches
and followed logs stream as chunked responses, one JSON document per line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import discovery, openapi, protobuf, reviews, tables, views
from .api import DeleteOptions
from .auth import RequestInfo
from .errors import ApiError, bad_request
from .limits import read_body
from .query import query_flag, query_int
from .requestlog import Request, created_name, unrouted
from .resources import ResourceType
from .streams import Streams

if TYPE_CHECKING:
    from .sim import KubeSim

Obj = dict[str, Any]
log = logging.getLogger(__name__)

_NOT_FOUND = ApiError(404, "NotFound", "the server could not find the requested resource")


class SimHTTPServer(ThreadingHTTPServer):
    """A threading server that remembers open connections so a restart can cut them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: KubeSim) -> None:
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out, reset) is not a server error: a real API
        # server drops the answer without a word.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def cut_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


# BaseHTTPRequestHandler named again: linters then know do_* as its hooks.
class Handler(Streams, BaseHTTPRequestHandler):
    """One HTTP/1.1 connection (keep-alive) to the simulated API server."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    #: This request's entry in the request log (its code is filled in when answered).
    _logged: Request | None = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def send_response(self, code: int, message: str | None = None) -> None:
        if self._logged is not None and self._logged.code is None:
            self._logged.code = code
        super().send_response(code, message)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- pipeline --------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self._logged = None
        length_text = self.headers.get("Content-Length") or "0"
        if not (length_text.isascii() and length_text.isdigit()):
            # As Go's net/http: the body's framing is unknown, so answer and hang up.
            self.close_connection = True
            status = bad_request(f"bad Content-Length: {length_text[:40]!r}").status()
            self._send_json(400, status, {"Connection": "close"})
            return
        length = int(length_text)
        sim = self.server.sim
        too_large: ApiError | None = None
        try:
            raw = read_body(self.rfile, length, sim.settings.max_request_body_bytes)
        except ApiError as exc:  # answered after authorization, as the real server does
            raw, too_large = b"", exc
        self._logged = None
        try:
            if self._serve_static(url.path):
                return
            try:
                rt, info = self._route(method, url.path, query)
            except ApiError:
                self._logged = sim.requests.record(unrouted(method, url.path, query))
                raise
            self._log_request(method, rt, info, query, raw)
            user = sim.authenticator.authenticate(self.headers.get("Authorization"))
            sim.authorizer.authorize(user, info)
            if too_large is not None:
                raise too_large
            sim.faults.before_request(info)
            sim.api.begin_request(query.get("fieldValidation"))
            try:
                self._dispatch(rt, info, query, raw)
            finally:
                sim.api.take_warnings()
        except ApiError as exc:
            self._send_json(exc.code, exc.status(), exc.headers)
        except (BrokenPipeError, ConnectionResetError):
            raise  # the client is gone: nothing to answer (see SimHTTPServer.handle_error)
        except Exception as exc:
            log.exception("kubesim internal error on %s %s", method, self.path)
            err = ApiError(500, "InternalError", f"Internal error occurred: {exc}")
            self._send_json(500, err.status())

    def _log_request(
        self, method: str, rt: ResourceType, info: RequestInfo, query: dict[str, str], raw: bytes
    ) -> None:
        name = info.name
        if name is None and info.verb == "create":
            name = created_name(raw)
        entry = Request(
            method,
            info.path,
            info.verb,
            info.resource,
            info.subresource,
            info.namespace,
            name,
            rt.kind,
            query=query,
        )
        self._logged = self.server.sim.requests.record(entry)

    def _serve_static(self, path: str) -> bool:
        sim = self.server.sim
        segs = [s for s in path.split("/") if s]
        body: Obj | None = None
        if segs in (["healthz"], ["readyz"], ["livez"]):
            self._send_bytes(200, b"ok", "text/plain; charset=utf-8")
            return True
        if segs == ["version"]:
            body = discovery.VERSION_INFO
        elif segs[:2] == ["openapi", "v3"]:
            body = self._openapi(segs[2:])
        elif segs == ["api"]:
            body = discovery.api_versions(f"{sim.settings.host}:{sim.port}")
        elif segs == ["apis"]:
            body = discovery.api_group_list(sim.registry)
        elif len(segs) == 2 and segs[0] == "apis":
            versions = sim.registry.group_versions().get(segs[1])
            if not versions:
                raise _NOT_FOUND
            body = discovery.api_group(segs[1], versions)
        elif (len(segs) == 2 and segs[0] == "api") or (len(segs) == 3 and segs[0] == "apis"):
            group, version = ("", segs[1]) if segs[0] == "api" else (segs[1], segs[2])
            body = discovery.resource_list(sim.registry, group, version)
            if body is None:
                raise _NOT_FOUND
        else:
            return False
        self._send_json(200, body)
        return True

    def _openapi(self, rest: list[str]) -> Obj:
        registry = self.server.sim.registry
        if not rest:
            return openapi.index(registry)
        if rest[0] == "api" and len(rest) == 2:
            doc = openapi.document(registry, "", rest[1])
        elif rest[0] == "apis" and len(rest) == 3:
            doc = openapi.document(registry, rest[1], rest[2])
        else:
            doc = None
        if doc is None:
            raise _NOT_FOUND
        return doc

    def _route(
        self, method: str, path: str, query: dict[str, str]
    ) -> tuple[ResourceType, RequestInfo]:
        segs = [s for s in path.split("/") if s]
        if len(segs) >= 3 and segs[0] == "api":
            group, version, rest = "", segs[1], segs[2:]
        elif len(segs) >= 4 and segs[0] == "apis":
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise _NOT_FOUND
        registry = self.server.sim.registry
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = registry.lookup(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise _NOT_FOUND
        rt = registry.lookup(group, version, rest[0])
        if rt is None:
            raise _NOT_FOUND
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in rt.subresources:
            raise _NOT_FOUND
        if namespace is None and rt.namespaced and name is not None:
            raise _NOT_FOUND
        verbs = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
        if method == "GET":
            verb = "get" if name else ("watch" if query_flag(query.get("watch")) else "list")
        elif name is None:
            if method == "POST":
                if rt.namespaced and namespace is None:
                    raise _NOT_FOUND
                verb = "create"
            elif method == "DELETE":
                verb = "deletecollection"
            else:
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
        else:
            if method == "POST":
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            verb = verbs[method]
        return rt, RequestInfo(verb, group, version, rt.plural, sub, namespace, name, path)

    def _dispatch(
        self, rt: ResourceType, info: RequestInfo, query: dict[str, str], raw: bytes
    ) -> None:
        sim = self.server.sim
        api = sim.api
        self._output = tables.negotiate(self.headers.get("Accept"), query, info, rt, sim.clock)
        dry_run = query.get("dryRun") == "All"
        ns, name = info.namespace, info.name
        if reviews.is_review(rt):
            reviews.require_create(info.verb)
            user = sim.authenticator.authenticate(self.headers.get("Authorization"))
            body = self._body(rt, info, raw)
            self._send_json(201, reviews.answer(sim, rt, user, body))
        elif info.verb == "get":
            if info.subresource == "log":
                self._pod_log(ns or "", name or "", query)
                return
            self._send_obj(200, rt, api.get(rt, ns, name or ""))
        elif info.verb == "list":
            limit = query_int(query, "limit")
            body = api.list(
                rt,
                ns,
                query.get("labelSelector"),
                query.get("fieldSelector"),
                limit,
                query.get("continue") or None,
            )
            self._send_json(200, self._output.render(body))
        elif info.verb == "watch":
            self._watch(rt, ns, query)
        elif info.verb == "create":
            self._send_obj(201, rt, api.create(rt, ns, self._body(rt, info, raw), dry_run))
        elif info.verb == "update":
            body = self._body(rt, info, raw)
            self._send_obj(200, rt, api.update(rt, ns, name or "", body, info.subresource, dry_run))
        elif info.verb == "patch":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            result = api.patch(
                rt, ns, name or "", ctype, raw, info.subresource, query.get("fieldManager"), dry_run
            )
            self._send_obj(result.code, rt, result.obj)
        elif info.verb == "delete":
            options = _delete_options(self._options_body(rt, raw), query)
            result = api.delete(rt, ns, name or "", options)
            if result.status_body is not None:
                self._send_json(result.code, result.status_body, result.headers)
            else:
                self._send_obj(result.code, rt, result.obj, result.headers)
        elif info.verb == "deletecollection":
            body = api.delete_collection(
                rt,
                ns,
                query.get("labelSelector"),
                query.get("fieldSelector"),
                _delete_options(self._options_body(rt, raw), query),
            )
            self._send_json(200, body)

    def _body(self, rt: ResourceType, info: RequestInfo, raw: bytes) -> Any:
        """A create or update body: JSON, or protobuf for the kinds kubesim decodes."""
        if not protobuf.is_protobuf(self.headers.get("Content-Type")):
            return _json(raw)
        if info.subresource:
            raise protobuf.unsupported(rt, "kubesim decodes protobuf for whole objects only")
        return protobuf.decode_request(rt, raw)

    def _options_body(self, rt: ResourceType, raw: bytes) -> bytes:
        """A DELETE body as JSON (client-go's typed clients send protobuf DeleteOptions)."""
        if raw and protobuf.is_protobuf(self.headers.get("Content-Type")):
            return protobuf.decode_delete_options(rt, raw)
        return raw

    # -- pod logs --------------------------------------------------------------------

    def _pod_log(self, namespace: str, name: str, query: dict[str, str]) -> None:
        sim = self.server.sim
        chunks = sim.kubelet.logs.serve(namespace, name, query)
        if isinstance(chunks, bytes):
            self._send_bytes(200, chunks, "text/plain")
            return
        self._start_stream("text/plain")
        for chunk in chunks:
            self._write_raw(chunk)
        self._end_stream()

    # -- responses -------------------------------------------------------------------

    def _send_obj(
        self, code: int, rt: ResourceType, obj: Obj, headers: dict[str, str] | None = None
    ) -> None:
        self._send_json(code, self._output.render(views.present(rt, obj)), headers)

    def _send_json(self, code: int, body: Obj, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(code, json.dumps(body).encode(), "application/json", headers)

    def _send_bytes(
        self, code: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for warning in self.server.sim.api.context.warnings:
            escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
            self.send_header("Warning", f'299 - "{escaped}"')
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise bad_request(f"error decoding request body: {exc}") from exc


def _delete_options(raw: bytes, query: dict[str, str]) -> DeleteOptions:
    """Options from the JSON body if there is one, else from the query string."""
    if raw.strip():
        body = _json(raw)
        if isinstance(body, dict):
            return DeleteOptions.from_dict(body)
    orphan = query.get("orphanDependents")
    return DeleteOptions(
        query.get("propagationPolicy"),
        None if orphan is None else query_flag(orphan),
        query_int(query, "gracePeriodSeconds"),
        dry_run=query.get("dryRun") == "All",
    )
