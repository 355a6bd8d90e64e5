"""The API server's object size limits, checked before the operator writes any child.

A write over these limits is refused (ConfigMap validation 422, etcd's 500 ``request is
too large``) on every retry, so a spec that would produce one is an InvalidSpec, not a
reconcile error retried forever.
"""

from __future__ import annotations

import json
from typing import Any

#: ``core.MaxSecretSize``: the API server refuses a ConfigMap with more data than this.
MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024
#: etcd's default ``--max-request-bytes`` (1.5 MiB): the largest object it stores.
MAX_OBJECT_BYTES = 1536 * 1024
#: Room kept for what a CronJob or Job adds around the Pod template (metadata, spec).
_WRAPPER_BYTES = 16 * 1024


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.2f} MiB"


def size_problems(config_text: str, pod_template: dict[str, Any]) -> list[str]:
    """Why the probe ConfigMap or the CronJob/Job would be too large to store (or none)."""
    problems: list[str] = []
    config_size = len(config_text.encode())
    if config_size > MAX_CONFIGMAP_DATA_BYTES:
        problems.append(
            f"the probe config is {_mib(config_size)}; the API server stores at most "
            f"{_mib(MAX_CONFIGMAP_DATA_BYTES)} of data per ConfigMap (move large inline "
            "context data into a configMap or secret context)"
        )
    template_size = len(json.dumps(pod_template, separators=(",", ":")).encode())
    if template_size + _WRAPPER_BYTES > MAX_OBJECT_BYTES:
        problems.append(
            f"the probe Pod template is {_mib(template_size)}; the API server stores at most "
            f"~{_mib(MAX_OBJECT_BYTES)} per object (shrink spec.template)"
        )
    return problems
