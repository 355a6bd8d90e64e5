"""The example NetworkAssertions the demo applies, pointed at the local stand-ins.

:func:`localize` is pure: it rewrites the cluster addresses of a manifest's rules
(http origins, tcp host and port, the dns server) to the stand-ins and leaves
everything else -- CEL rules, templates, contexts, schedules -- as committed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from demo.processes import DemoError
from demo.targets import StandIns

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "examples" / "manifests"
#: What the demo applies: a scheduled http check with CEL on JSON, a dns check, a tcp check
#: with a port that must be blocked, and ConfigMap/Secret/inline contexts in templates.
#: (tls-expiry.yaml checks public certificates, which a local demo cannot stand in for.)
DEMO_MANIFESTS = (
    "http-api.yaml",
    "dns.yaml",
    "tcp-egress-blocked.yaml",
    "contexts.yaml",
    "per-node.yaml",
)
#: The worker nodes the demo registers, for the per-node example (per-node.yaml).
DEMO_NODES = ("worker-1", "worker-2", "worker-3")
DEMO_NODE_LABELS = {"node-role.kubernetes.io/worker": "true"}
#: (assertion, rule) -> the result it must reach when it is not "pass".
EXPECTED: dict[tuple[str, str], str] = {}


def load(name: str) -> dict[str, Any]:
    """One committed example manifest."""
    document: dict[str, Any] = yaml.safe_load((MANIFESTS / name).read_text())
    return document


def expected_results(manifest: dict[str, Any]) -> int:
    """How many results the manifest's report has: one per rule, per node if per-node."""
    rules = len(manifest["spec"]["rules"])
    per_node = (manifest["spec"].get("placement") or {}).get("nodes") is not None
    return rules * len(DEMO_NODES) if per_node else rules


def expected_result(assertion: str, rule: str) -> str:
    """The result a rule of the demo must reach."""
    return EXPECTED.get((assertion, rule), "pass")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
    return f"{parts.scheme}://{parts.hostname}:{port}", rest


def localize(manifest: dict[str, Any], stand_ins: StandIns) -> dict[str, Any]:
    """``manifest`` with each rule's cluster address replaced by its local stand-in.

    Raises:
        DemoError: a rule names an address that has no stand-in.
    """
    local = copy.deepcopy(manifest)
    name = local["metadata"]["name"]
    for rule in local["spec"]["rules"]:
        where = f"{name}/{rule['name']}"
        if rule["type"] == "dns":
            rule["server"] = stand_ins.dns_server
        elif rule["type"] == "http" and "{{" not in rule["url"]:  # templated: from contexts
            origin, rest = _origin(rule["url"])
            if origin not in stand_ins.http:
                raise DemoError(f"{where}: no local stand-in for {origin}")
            rule["url"] = stand_ins.http[origin] + rest
        elif rule["type"] == "tcp":
            key = (rule["host"], int(rule["port"]))
            if key not in stand_ins.tcp:
                raise DemoError(f"{where}: no local stand-in for {key[0]}:{key[1]}")
            rule["host"], rule["port"] = stand_ins.tcp[key]
    return local


def context_objects(manifest: dict[str, Any], stand_ins: StandIns) -> list[dict[str, Any]]:
    """The ConfigMaps and Secrets a manifest's contexts read, with the demo's values."""
    namespace = manifest["metadata"]["namespace"]
    objects = []
    for context in manifest["spec"].get("context", []):
        for kind, field, table in (
            ("ConfigMap", "configMap", stand_ins.configmaps),
            ("Secret", "secret", stand_ins.secrets),
        ):
            if field not in context:
                continue
            name = context[field]["name"]
            if (namespace, name) not in table:
                raise DemoError(f"no demo data for {kind} {namespace}/{name}")
            data_field = "stringData" if kind == "Secret" else "data"
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {"name": name, "namespace": namespace},
                    data_field: table[(namespace, name)],
                }
            )
    return objects
