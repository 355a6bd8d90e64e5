"""Local OTLP metrics receivers (loopback only): HTTP/protobuf and gRPC.

    with OtlpHttpReceiver() as receiver:     # endpoint http://127.0.0.1:<port>
        ...                                  # receiver.exports: what was pushed
    with OtlpGrpcReceiver() as receiver:     # the same over gRPC

Both decode the real OTLP messages (``opentelemetry-proto``) and keep each export as
an :class:`Export`: the resource attributes and the metric names it carried.
"""

from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tools.targets.base import Target
from tools.targets.processes import free_port


@dataclass(frozen=True)
class Export:
    """One export request: its resource attributes and metric names."""

    resource: dict[str, Any]
    metrics: frozenset[str]


def _value(value: AnyValue) -> Any:
    return getattr(value, value.WhichOneof("value") or "string_value")


def _exports(request: metrics_service_pb2.ExportMetricsServiceRequest) -> list[Export]:
    return [
        Export(
            {attribute.key: _value(attribute.value) for attribute in rm.resource.attributes},
            frozenset(m.name for scope in rm.scope_metrics for m in scope.metrics),
        )
        for rm in request.resource_metrics
    ]


class _Receiver(Target):
    def __init__(self) -> None:
        self.port = free_port()
        self.exports: list[Export] = []
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """``OTEL_EXPORTER_OTLP_ENDPOINT`` of this receiver."""
        return f"http://127.0.0.1:{self.port}"

    def received(self, request: metrics_service_pb2.ExportMetricsServiceRequest) -> None:
        with self._lock:
            self.exports += _exports(request)

    def metric_names(self) -> set[str]:
        """Every metric name exported so far."""
        with self._lock:
            return {name for export in self.exports for name in export.metrics}


class OtlpHttpReceiver(_Receiver):
    """``POST /v1/metrics`` with an ``application/x-protobuf`` export request."""

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v1/metrics":
                    self.send_error(404)
                    return
                request = metrics_service_pb2.ExportMetricsServiceRequest()
                request.ParseFromString(body)
                receiver.received(request)
                answer = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class OtlpGrpcReceiver(_Receiver):
    """The OTLP ``MetricsService/Export`` gRPC service."""

    def start(self) -> None:
        receiver = self

        class Service(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(  # noqa: N802 - the generated gRPC method name
                self, request: metrics_service_pb2.ExportMetricsServiceRequest, context: Any
            ) -> metrics_service_pb2.ExportMetricsServiceResponse:
                receiver.received(request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Service(), self._server)
        self._server.add_insecure_port(f"127.0.0.1:{self.port}")
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=1).wait(5)
