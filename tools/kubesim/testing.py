"""Helpers for tests that drive kubesim through the official client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client, config

from tools.waiting import wait_for

__all__ = [
    "api_client",
    "body_of",
    "job_manifest",
    "node_manifest",
    "pod_manifest",
    "wait_for",
]


def body_of(exc: client.ApiException) -> dict[str, Any]:
    """The Status body of an ApiException."""
    result: dict[str, Any] = json.loads(exc.body or "{}")
    return result


def api_client(kubeconfig: Path) -> client.ApiClient:
    api: client.ApiClient = config.new_client_from_config(config_file=str(kubeconfig))
    api.configuration.proxy = None
    return api


def pod_manifest(
    name: str, command: list[str], image: str = "python", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": image, "command": command}],
            **spec,
        },
    }


def node_manifest(
    name: str, labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """A Node as a test registers it (kubesim marks it Ready, as its kubelet would)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": list(taints or [])},
    }


def job_manifest(
    name: str, command: list[str], image: str = "python", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": {"spec": pod_manifest(name, command, image)["spec"]}, **spec},
    }


def exists(read: Callable[..., Any], *args: Any) -> bool:
    """Whether ``read(*args)`` (a client ``read_*`` method) finds the object; 404 is False."""
    try:
        read(*args)
    except client.ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def wait_gone(
    read: Callable[..., Any], *args: Any, timeout: float = 10.0, what: str = "deletion"
) -> None:
    """Wait until ``read(*args)`` answers 404."""
    wait_for(lambda: not exists(read, *args), timeout, what)
