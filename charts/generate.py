"""Regenerate what is derived from the netchecks chart; ``--check`` only compares.

    python charts/generate.py           # rewrite the files below
    python charts/generate.py --check   # exit 1 naming every stale file

- ``charts/netchecks/values.schema.json``: from ``values.yaml`` (each value's ``# --``
  comment is its description, its default gives its type) plus the constraints in
  :data:`CONSTRAINTS`;
- the values table of ``charts/netchecks/README.md`` (between the ``values-table`` markers);
- ``deploy/netchecks.yaml``: the static bundle (``helm template`` with the default values,
  release ``netchecks`` in namespace ``netchecks``) for ``kubectl apply`` users;
- ``deploy/grafana/netchecks-dashboard.json``: the chart's Grafana dashboard
  (``files/grafana``), for importing by hand.

The chart is rendered by the real Helm engine (``helm_python``); no helm binary is needed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "netchecks"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
README = CHART / "README.md"
BUNDLE = ROOT / "deploy" / "netchecks.yaml"
#: The Grafana dashboard: written once, in the chart; deploy/grafana holds a copy.
DASHBOARD = CHART / "files" / "grafana" / "netchecks-dashboard.json"
DASHBOARD_COPY = ROOT / "deploy" / "grafana" / "netchecks-dashboard.json"
RELEASE = "netchecks"
NAMESPACE = "netchecks"

Path_ = tuple[str, ...]

_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_REPORT_APIS = ["wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io/v1beta1", "openreports.io/v1alpha1"]
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_DURATION = r"^([0-9]+(ms|s|m|h))+$"
_OPTIONAL_NAME = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DIGEST = {"type": "string", "pattern": "^$|^sha256:[a-f0-9]{64}$"}
_RELABELINGS = {"items": {"type": "object"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "requests": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "limits": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "claims": {"type": "array"},
    },
}
_COMPONENT: dict[str, dict[str, Any]] = {
    "image.tag": {"type": "string"},
    "image.digest": _DIGEST,
    "replicas": {"minimum": 0, "maximum": 10},
    "workers": {"minimum": 1, "maximum": 64},
    "logLevel": {"enum": ["DEBUG", "INFO", "WARNING", "ERROR"]},
    "logFormat": {"enum": ["json", "text"]},
    "resources": _RESOURCES,
    "podAnnotations": _STRING_MAP,
    "podLabels": _STRING_MAP,
    "nodeSelector": _STRING_MAP,
    "serviceAccount.annotations": _STRING_MAP,
    "podDisruptionBudget.minAvailable": {"minimum": 0},
    "extraEnv": {"items": {"type": "object", "required": ["name"]}},
}

#: Constraints beyond the type of the default (enums, bounds, item shapes), by dotted path.
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "commonLabels": _STRING_MAP,
    "watchNamespaces": {"items": {"type": "string", "pattern": _NAME, "maxLength": 63}},
    "image.pullPolicy": {"enum": _PULL_POLICIES},
    "imagePullSecrets": {"items": {"type": "object", "required": ["name"]}},
    "probe.image.pullPolicy": {"enum": _PULL_POLICIES},
    "probe.image.digest": _DIGEST,
    "probe.imagePullSecrets": {"items": {"type": "object", "required": ["name"]}},
    "probe.resources": _RESOURCES,
    "probe.podAnnotations": _STRING_MAP,
    "probe.nodeSelector": _STRING_MAP,
    **{f"operator.{key}": value for key, value in _COMPONENT.items()},
    **{f"results.{key}": value for key, value in _COMPONENT.items()},
    "operator.jobTtlSeconds": {"minimum": 300},
    "operator.policyReportApiVersion": {"enum": _REPORT_APIS},
    "results.reportApis": {"minItems": 1, "items": {"enum": _REPORT_APIS}},
    "service.port": {"minimum": 1, "maximum": 65535},
    "serviceMonitor.interval": {"pattern": _DURATION},
    "serviceMonitor.labels": _STRING_MAP,
    "serviceMonitor.namespace": {"pattern": _OPTIONAL_NAME, "maxLength": 63},
    "serviceMonitor.scrapeTimeout": {"pattern": f"^$|{_DURATION}"},
    "serviceMonitor.relabelings": _RELABELINGS,
    "serviceMonitor.metricRelabelings": _RELABELINGS,
    "grafanaDashboard.namespace": {"pattern": _OPTIONAL_NAME, "maxLength": 63},
    "grafanaDashboard.labels": _STRING_MAP,
    "grafanaDashboard.annotations": _STRING_MAP,
    "prometheusRule.labels": _STRING_MAP,
    "prometheusRule.failingFor": {"pattern": _DURATION},
    "prometheusRule.lateGraceSeconds": {"minimum": 0},
    "prometheusRule.runbookBaseUrl": {"pattern": "^https?://"},
    "prometheusRule.severity": {"enum": ["info", "warning", "critical"]},
    "networkPolicy.apiServer.cidrs": {"items": {"type": "string"}},
    "networkPolicy.apiServer.ports": {"items": {"type": "integer", "minimum": 1, "maximum": 65535}},
    "networkPolicy.dns.podLabels": _STRING_MAP,
}


def documented(text: str) -> dict[Path_, str]:
    """Each value's description: the ``# --`` comment block right above its key."""
    docs: dict[Path_, str] = {}
    stack: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped[4:].strip()]
            continue
        if stripped.startswith("#") and comment is not None:
            comment.append(stripped[1:].strip())
            continue
        match = re.match(r"^( *)([A-Za-z0-9_]+):", line)
        if not match:
            if not stripped.startswith("-"):
                comment = None
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        if comment is not None:
            docs[tuple(key for _, key in stack)] = " ".join(comment)
        comment = None
    return docs


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _node(path: Path_, value: Any, docs: dict[Path_, str]) -> dict[str, Any]:
    dotted = ".".join(path)
    if path in docs or not isinstance(value, dict):
        node: dict[str, Any] = {"type": _type(value)}
        if path in docs:
            node["description"] = docs[path]
        node.update(CONSTRAINTS.get(dotted, {}))
        return node
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {key: _node((*path, key), child, docs) for key, child in value.items()},
    }


def values_schema() -> dict[str, Any]:
    """The JSON schema of the chart's values."""
    text = VALUES.read_text()
    values = yaml.safe_load(text)
    docs = documented(text)
    root = _node((), values, docs)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Values of the netchecks chart",
        **root,
    }


def leaves(values: dict[str, Any], docs: dict[Path_, str], path: Path_ = ()) -> list[Path_]:
    """Paths of the documented values (a documented map counts as one value)."""
    found: list[Path_] = []
    for key, value in values.items():
        here = (*path, key)
        if here in docs or not isinstance(value, dict) or not value:
            found.append(here)
        else:
            found += leaves(value, docs, here)
    return found


def _default(value: Any) -> str:
    text = json.dumps(value)
    return f"`{text}`" if len(text) <= 60 else "see values.yaml"


def values_table() -> str:
    """The README's table of values (key, type, default, description)."""
    text = VALUES.read_text()
    values = yaml.safe_load(text)
    docs = documented(text)
    rows = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for path in leaves(values, docs):
        value: Any = values
        for key in path:
            value = value[key]
        description = docs.get(path, "").replace("|", "\\|")
        rows.append(f"| `{'.'.join(path)}` | {_type(value)} | {_default(value)} | {description} |")
    return "\n".join(rows) + "\n"


def readme(current: str) -> str:
    """``current`` with its values table replaced."""
    start, end = "<!-- values-table:start -->\n", "<!-- values-table:end -->"
    head, _, rest = current.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}{values_table()}{end}{tail}"


def render(values: dict[str, Any] | None = None) -> dict[str, str]:
    """The chart rendered by the Helm engine: template path -> manifests."""
    import helm_python as helm

    with helm.Chart.load(CHART) as chart:
        return chart.render(values or {}, name=RELEASE, namespace=NAMESPACE, is_install=True)


def manifests(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Every object of a render, in template order (NOTES.txt and empty documents left out)."""
    objects: list[dict[str, Any]] = []
    for name in sorted(rendered):
        if name.endswith("NOTES.txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(rendered[name]) if doc]
    return objects


def bundle() -> str:
    """The static manifest bundle (default values, helm test hooks left out)."""
    header = (
        "# netchecks: the Helm chart rendered with its default values (release netchecks,\n"
        "# namespace netchecks). Generated by `python charts/generate.py`; do not edit.\n"
        "#   kubectl create namespace netchecks && kubectl apply --server-side -f netchecks.yaml\n"
    )
    docs = [
        doc
        for doc in manifests(render({"tests": {"enabled": False}}))
        if "helm.sh/hook" not in ((doc.get("metadata") or {}).get("annotations") or {})
    ]
    body = "---\n".join(yaml.safe_dump(doc, sort_keys=False, width=100) for doc in docs)
    return header + "---\n" + body


def outputs() -> dict[Path, str]:
    """Every generated file and its wanted content."""
    schema = json.dumps(values_schema(), indent=2) + "\n"
    current_readme = README.read_text() if README.exists() else ""
    return {
        SCHEMA: schema,
        README: readme(current_readme),
        BUNDLE: bundle(),
        DASHBOARD_COPY: DASHBOARD.read_text(),
    }


def main(argv: list[str]) -> int:
    """Write the generated files, or with ``--check`` report the stale ones."""
    check = "--check" in argv
    stale = []
    for path, content in outputs().items():
        if path.exists() and path.read_text() == content:
            continue
        stale.append(path.relative_to(ROOT))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    if check and stale:
        names = ", ".join(str(p) for p in stale)
        sys.stderr.write(f"stale: {names}; run `python charts/generate.py`\n")
        return 1
    for path in stale:
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
