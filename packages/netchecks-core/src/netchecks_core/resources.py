"""Resource descriptors: where a kind lives in the Kubernetes API and what it is called.

One type for every resource the components name (built-in kinds, ``NetworkAssertion``
and the report APIs of :mod:`netchecks_core.policyreport`), so the adapter in
``netchecks_service.kube`` takes any of them. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from netchecks_core import assertion


@dataclass(frozen=True)
class Resource:
    """A resource type of the API: where it lives and what it is called."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        """``group/version`` (or ``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        """The REST path of the collection, or of one object (and a subresource)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if sub:
                base += f"/{sub}"
        return base


NETWORK_ASSERTIONS = Resource(assertion.GROUP, assertion.VERSION, assertion.PLURAL, assertion.KIND)
