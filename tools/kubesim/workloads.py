"""Workload kinds a Helm chart creates, served as stored objects (opt-in:
``Settings(workloads=True)``).

Deployments, Services, PodDisruptionBudgets and NetworkPolicies are validated against the
real schemas and stored like any built-in kind, so a chart installs into kubesim; no
controller acts on them (the tests start the services as processes themselves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .resources import ResourceType

if TYPE_CHECKING:
    from .sim import KubeSim

WORKLOAD_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        True,
        ("status",),
        ("deploy",),
        ("all",),
        has_generation=True,
    ),
    ResourceType("", "v1", "services", "service", "Service", True, ("status",), ("svc",), ("all",)),
    ResourceType(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        True,
        ("status",),
        ("pdb",),
        has_generation=True,
    ),
    ResourceType(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        True,
        (),
        ("netpol",),
        has_generation=True,
    ),
)


def enable_workloads(sim: KubeSim) -> None:
    """Serve the workload kinds."""
    for rt in WORKLOAD_TYPES:
        sim.registry.add(rt)
