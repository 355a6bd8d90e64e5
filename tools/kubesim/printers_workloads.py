"""Server-side printing of the kinds served with ``Settings(workloads=True)`` or
``Settings(rbac=True)``: Deployments, Services, PodDisruptionBudgets, NetworkPolicies and
role bindings (Roles and ClusterRoles print NAME and CREATED AT, like the default).
"""

from __future__ import annotations

from datetime import datetime

from .printing import (
    Cells,
    Column,
    Obj,
    Printer,
    age,
    age_column,
    as_list,
    containers_cells,
    doc,
    format_label_selector,
    format_labels,
    get,
    meta,
    name_column,
    simple,
    wide_template_columns,
)

# -- workloads (Settings(workloads=True)) ----------------------------------------------


def _deployment_cells(deploy: Obj, now: datetime) -> Cells:
    spec = deploy.get("spec") or {}
    status = deploy.get("status") or {}
    desired = spec.get("replicas", 1)
    return [
        meta(deploy).get("name", ""),
        f"{status.get('readyReplicas') or 0}/{desired}",
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        age(deploy, now),
        *containers_cells(get(spec, "template", "spec")),
        format_label_selector(spec.get("selector")),
    ]


_DEPLOYMENT = Printer(
    (
        name_column(),
        Column("Ready", description="Number of the pod with ready state"),
        Column(
            "Up-to-date",
            "integer",
            description=doc("apps/v1", "Deployment", "status.updatedReplicas"),
        ),
        Column(
            "Available",
            "integer",
            description=doc("apps/v1", "Deployment", "status.availableReplicas"),
        ),
        age_column(),
        *wide_template_columns("apps/v1", "Deployment", "spec.selector"),
    ),
    _deployment_cells,
)


def _service_ports(spec: Obj) -> str:
    ports = []
    for port in as_list(spec.get("ports")):
        protocol = port.get("protocol") or "TCP"
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node_port}/{protocol}")
    return ",".join(ports) or "<none>"


def _service_external(spec: Obj, status: Obj) -> str:
    kind = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in as_list(spec.get("externalIPs"))]
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    if kind == "LoadBalancer":
        ingress = as_list(get(status, "loadBalancer", "ingress"))
        found = [str(i.get("ip") or i.get("hostname")) for i in ingress] + external
        return ",".join(found) or "<pending>"
    return ",".join(external) or "<none>"


def _service_cells(svc: Obj, now: datetime) -> Cells:
    spec = svc.get("spec") or {}
    cluster_ips = as_list(spec.get("clusterIPs"))
    return [
        meta(svc).get("name", ""),
        spec.get("type") or "ClusterIP",
        cluster_ips[0] if cluster_ips else spec.get("clusterIP") or "<none>",
        _service_external(spec, svc.get("status") or {}),
        _service_ports(spec),
        age(svc, now),
        format_labels(spec.get("selector")),
    ]


_SERVICE = Printer(
    (
        name_column(),
        Column("Type", description=doc("v1", "Service", "spec.type")),
        Column("Cluster-IP", description=doc("v1", "Service", "spec.clusterIP")),
        Column("External-IP", description=doc("v1", "Service", "spec.externalIPs")),
        Column("Port(s)", description=doc("v1", "Service", "spec.ports")),
        age_column(),
        Column("Selector", priority=1, description=doc("v1", "Service", "spec.selector")),
    ),
    _service_cells,
)
_PDB = simple(
    (
        Column(
            "Min Available",
            description=doc("policy/v1", "PodDisruptionBudget", "spec.minAvailable"),
        ),
        Column(
            "Max Unavailable",
            description=doc("policy/v1", "PodDisruptionBudget", "spec.maxUnavailable"),
        ),
        Column(
            "Allowed Disruptions",
            "integer",
            description=doc("policy/v1", "PodDisruptionBudget", "status.disruptionsAllowed"),
        ),
    ),
    lambda o: [
        str(get(o, "spec", "minAvailable"))
        if get(o, "spec", "minAvailable") is not None
        else "N/A",
        str(get(o, "spec", "maxUnavailable"))
        if get(o, "spec", "maxUnavailable") is not None
        else "N/A",
        int(get(o, "status", "disruptionsAllowed") or 0),
    ],
)
_NETWORKPOLICY = simple(
    (
        Column(
            "Pod-Selector",
            description=doc("networking.k8s.io/v1", "NetworkPolicy", "spec.podSelector"),
        ),
    ),
    lambda o: [format_label_selector(get(o, "spec", "podSelector"))],
)

# -- rbac (Settings(rbac=True)) ----------------------------------------------------------


def _binding_cells(binding: Obj, now: datetime) -> Cells:
    ref = binding.get("roleRef") or {}
    subjects = [s for s in as_list(binding.get("subjects")) if isinstance(s, dict)]

    def names(kind: str) -> str:
        found = [
            f"{s.get('namespace')}/{s.get('name')}"
            if kind == "ServiceAccount"
            else str(s.get("name"))
            for s in subjects
            if s.get("kind") == kind
        ]
        return ", ".join(found)

    return [
        meta(binding).get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age(binding, now),
        names("User"),
        names("Group"),
        names("ServiceAccount"),
    ]


_BINDING = Printer(
    (
        name_column(),
        Column("Role", description=doc("rbac.authorization.k8s.io/v1", "RoleBinding", "roleRef")),
        age_column(),
        Column("Users", priority=1, description="Users in the roleBinding"),
        Column("Groups", priority=1, description="Groups in the roleBinding"),
        Column("ServiceAccounts", priority=1, description="ServiceAccounts in the roleBinding"),
    ),
    _binding_cells,
)


WORKLOAD_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Service"): _SERVICE,
    ("apps", "Deployment"): _DEPLOYMENT,
    ("policy", "PodDisruptionBudget"): _PDB,
    ("networking.k8s.io", "NetworkPolicy"): _NETWORKPOLICY,
    ("rbac.authorization.k8s.io", "RoleBinding"): _BINDING,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _BINDING,
}
