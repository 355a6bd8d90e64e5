"""Builders for tests: NetworkAssertion manifests without dict fixtures.

assertion("web").with_http("http://x/").scheduled("*/5 * * * *").build()
"""

from __future__ import annotations

import copy
from typing import Any, Self


class AssertionBuilder:
    """Builds a NetworkAssertion manifest (as the API server would return it with ``stored``)."""

    def __init__(self, name: str, namespace: str = "default") -> None:
        self.manifest: dict[str, Any] = {
            "apiVersion": "netchecks.io/v1",
            "kind": "NetworkAssertion",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"rules": []},
        }

    def rule(self, **fields: Any) -> Self:
        """Add a rule (``name`` defaults to ``rule-<n>``)."""
        fields.setdefault("name", f"rule-{len(self.manifest['spec']['rules']) + 1}")
        self.manifest["spec"]["rules"].append(fields)
        return self

    def with_http(self, url: str, **fields: Any) -> Self:
        """Add an http rule."""
        return self.rule(type="http", url=url, **fields)

    def with_dns(self, host: str, **fields: Any) -> Self:
        """Add a dns rule."""
        return self.rule(type="dns", host=host, **fields)

    def with_internal(self, pattern: str = "true", **fields: Any) -> Self:
        """Add an internal rule judged by ``pattern``."""
        return self.rule(type="internal", validate={"pattern": pattern}, **fields)

    def scheduled(self, schedule: str) -> Self:
        """Set ``spec.schedule``."""
        self.manifest["spec"]["schedule"] = schedule
        return self

    def context(self, name: str, **source: Any) -> Self:
        """Add a context (``configMap=...``, ``secret=...`` or ``inline=...``)."""
        self.manifest["spec"].setdefault("context", []).append({"name": name, **source})
        return self

    def template(self, template: dict[str, Any]) -> Self:
        """Set ``spec.template``."""
        self.manifest["spec"]["template"] = template
        return self

    def annotate(self, **annotations: str) -> Self:
        """Add metadata annotations (keys with ``__`` for ``/``, ``_`` for ``-``)."""
        target = self.manifest["metadata"].setdefault("annotations", {})
        for key, value in annotations.items():
            target[key.replace("__", "/").replace("_", "-")] = value
        return self

    def build(self) -> dict[str, Any]:
        """The manifest."""
        return copy.deepcopy(self.manifest)

    def stored(self, uid: str = "uid-1", generation: int = 1, **status: Any) -> dict[str, Any]:
        """The manifest as read back from the API server."""
        obj = self.build()
        obj["metadata"].update(
            uid=uid,
            generation=generation,
            resourceVersion="10",
            creationTimestamp="2026-01-01T00:00:00Z",
        )
        if status:
            obj["status"] = status
        return obj


def assertion(name: str, namespace: str = "default") -> AssertionBuilder:
    """Start building an assertion."""
    return AssertionBuilder(name, namespace)
