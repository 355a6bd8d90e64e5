"""A small JSON adapter over the official ``kubernetes`` client (the only importer of it here).

The official client brings configuration (in-cluster or ``KUBECONFIG``), auth,
connection pooling and TLS; this module keeps its objects as plain dicts (what
goes on the wire) so the same code reads built-in kinds and custom resources,
and turns its exceptions into :mod:`netchecks_service.errors`.

    api = KubeApi(load_api_client())
    cm = api.get(CONFIGMAPS, "name", "ns")
    for event in api.watch(CONFIGMAPS, namespace="ns", resource_version=rv):
        ...
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines
from netchecks_core.resources import Resource
from opentelemetry import metrics

from netchecks_service.errors import (
    KubeError,
    ServiceError,
    TransientError,
    error_from_response,
)

log = logging.getLogger(__name__)

_meter = metrics.get_meter("netchecks.kube")
_requests = _meter.create_counter(
    "netchecks.kube.requests",
    unit="{request}",
    description="Kubernetes API requests by verb and HTTP status code",
)

#: Content types of the patch kinds.
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
SECRETS = Resource("", "v1", "secrets", "Secret")
PODS = Resource("", "v1", "pods", "Pod")
EVENTS = Resource("", "v1", "events", "Event")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
JOBS = Resource("batch", "v1", "jobs", "Job")
CRONJOBS = Resource("batch", "v1", "cronjobs", "CronJob")
LEASES = Resource("coordination.k8s.io", "v1", "leases", "Lease")
CRDS = Resource(
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False
)


class _CountingApiClient(k8s_client.ApiClient):
    """The official ApiClient, counting each request by verb and status code."""

    def call_api(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        verb = "WATCH" if "watch=true" in url else method
        try:
            response = super().call_api(method, url, *args, **kwargs)
        except Exception:
            _requests.add(1, {"verb": verb, "code": "error"})
            raise
        _requests.add(1, {"verb": verb, "code": str(response.status)})
        return response


def load_api_client(kubeconfig: str | None = None, pool_size: int = 16) -> k8s_client.ApiClient:
    """An ApiClient configured in-cluster inside a Pod, else from ``KUBECONFIG`` (or ``~/.kube``).

    Raises :class:`ServiceError` with a clear message when neither works.
    """
    configuration = k8s_client.Configuration()
    try:
        if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        else:
            path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=str(Path(path.split(os.pathsep)[0]).expanduser()),
                client_configuration=configuration,
                persist_config=False,
            )
    except (k8s_config.ConfigException, OSError, ValueError, TypeError) as error:
        raise ServiceError(f"cannot configure the Kubernetes client: {error}") from error
    configuration.connection_pool_maxsize = pool_size
    return _CountingApiClient(configuration)


def _query(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        out.append((key, ("true" if value else "false") if isinstance(value, bool) else value))
    return out


class KubeApi:
    """JSON-in, JSON-out Kubernetes calls on an official ``ApiClient``.

    Every method raises a :class:`~netchecks_service.errors.KubeError` kind
    on failure; network errors become :class:`TransientError`.
    """

    def __init__(self, api_client: k8s_client.ApiClient, request_timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout

    # -- the one place requests are made ---------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        accept: str = "application/json",
    ) -> Any:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        request = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            query_params=_query(query or {}),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self.api_client.call_api(
                *request, _request_timeout=timeout or self.request_timeout
            )
        except ApiException as error:  # raised by the REST layer for some failures
            raise error_from_response(error.status or 0, error.body, error.headers) from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransientError(f"{method} {path}: {error}", reason="ConnectionError") from error
        if not 200 <= response.status <= 299:
            data = self._read(response, method, path)
            raise error_from_response(response.status, data, response.headers)
        return response

    @staticmethod
    def _read(response: Any, method: str, path: str) -> bytes:
        """The whole body of ``response``; a broken connection is a :class:`TransientError`."""
        try:
            data: bytes = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransientError(f"{method} {path}: {error}", reason="ConnectionError") from error
        return data

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        accept: str = "application/json",
    ) -> Any:
        """One request; returns the parsed JSON body (or text for non-JSON answers)."""
        response = self._send(
            method, path, query=query, body=body, content_type=content_type, accept=accept
        )
        data = self._read(response, method, path)
        content = response.headers.get("content-type", "")
        if "json" not in content:
            return data.decode("utf-8", "replace")
        try:
            return json.loads(data) if data else None
        except ValueError as error:
            raise KubeError(f"{method} {path}: answer is not JSON: {error}") from error

    # -- verbs -----------------------------------------------------------------------------

    def get(self, resource: Resource, name: str, namespace: str | None = None) -> dict[str, Any]:
        """Read one object."""
        result: dict[str, Any] = self.request("GET", resource.path(namespace, name))
        return result

    def list(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> dict[str, Any]:
        """List a collection (all namespaces when ``namespace`` is None); returns the List."""
        query = {"labelSelector": label_selector, "fieldSelector": field_selector}
        result: dict[str, Any] = self.request("GET", resource.path(namespace), query=query)
        return result

    def list_pages(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """List a collection ``limit`` objects at a time (``continue``): one List per page.

        The pages are one consistent snapshot (the first page's resourceVersion); a
        continue token that expired raises :class:`GoneError`: list again from the start.
        """
        token: str | None = None
        while True:
            query = {
                "labelSelector": label_selector,
                "fieldSelector": field_selector,
                "limit": str(limit),
                "continue": token,
            }
            page: dict[str, Any] = self.request("GET", resource.path(namespace), query=query)
            yield page
            token = (page.get("metadata") or {}).get("continue") or None
            if token is None:
                return

    def create(
        self, resource: Resource, body: Mapping[str, Any], namespace: str | None = None
    ) -> dict[str, Any]:
        """Create an object; :class:`ConflictError` (``AlreadyExists``) if the name is taken."""
        result: dict[str, Any] = self.request("POST", resource.path(namespace), body=dict(body))
        return result

    def replace(
        self,
        resource: Resource,
        body: Mapping[str, Any],
        namespace: str | None = None,
        *,
        sub: str = "",
    ) -> dict[str, Any]:
        """PUT an object (or its ``status``); its ``metadata.resourceVersion`` is a precondition."""
        name = body["metadata"]["name"]
        path = resource.path(namespace, name, sub)
        result: dict[str, Any] = self.request("PUT", path, body=dict(body))
        return result

    def patch(
        self,
        resource: Resource,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        sub: str = "",
        content_type: str = MERGE_PATCH,
    ) -> dict[str, Any]:
        """Patch an object or a subresource (merge patch unless told otherwise)."""
        path = resource.path(namespace, name, sub)
        result: dict[str, Any] = self.request("PATCH", path, body=patch, content_type=content_type)
        return result

    def delete(
        self,
        resource: Resource,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
        uid: str | None = None,
    ) -> None:
        """Delete an object (children in the background); ``uid`` guards against a new one."""
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
        }
        if uid:
            body["preconditions"] = {"uid": uid}
        self.request("DELETE", resource.path(namespace, name), body=body)

    def read_log(
        self,
        name: str,
        namespace: str,
        *,
        container: str | None = None,
        tail_lines: int | None = None,
        limit_bytes: int | None = None,
    ) -> str:
        """A Pod's log as text."""
        query = {"container": container, "tailLines": tail_lines, "limitBytes": limit_bytes}
        text = self.request("GET", PODS.path(namespace, name, "log"), query=query, accept="*/*")
        return text if isinstance(text, str) else json.dumps(text)

    def read_log_tail(
        self,
        name: str,
        namespace: str,
        *,
        container: str | None = None,
        max_bytes: int = 8 * 1024 * 1024,
    ) -> tuple[bytes, bool]:
        """A Pod's log, streamed, keeping only its last ``max_bytes`` (memory stays bounded).

        Returns the bytes and whether the start of the log was cut off.
        """
        path = PODS.path(namespace, name, "log")
        response = self._send("GET", path, query={"container": container}, accept="*/*")
        raw = response.response
        buffer = bytearray()
        cut = False
        try:
            for chunk in raw.stream(64 * 1024):
                buffer += chunk
                if len(buffer) > 2 * max_bytes:
                    del buffer[: len(buffer) - max_bytes]
                    cut = True
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransientError(f"GET {path}: {error}", reason="ConnectionError") from error
        finally:
            raw.release_conn()
        if len(buffer) > max_bytes:
            del buffer[: len(buffer) - max_bytes]
            cut = True
        return bytes(buffer), cut

    def watch(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timeout_seconds: int = 300,
    ) -> Iterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}`` dicts) until the server ends the stream.

        An ``ERROR`` event is raised as its :class:`KubeError` kind (410 is :class:`GoneError`).
        """
        query = {
            "watch": True,
            "allowWatchBookmarks": True,
            "resourceVersion": resource_version,
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
            "timeoutSeconds": timeout_seconds,
        }
        path = resource.path(namespace)
        response = self._send("GET", path, query=query, timeout=(10.0, timeout_seconds + 30.0))
        raw = response.response
        try:
            for line in iter_resp_lines(raw):  # type: ignore[no-untyped-call]
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise error_from_response(int(status.get("code") or 500), json.dumps(status))
                yield event
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
            raise TransientError(f"watch {path}: {error}", reason="ConnectionError") from error
        finally:
            raw.release_conn()
