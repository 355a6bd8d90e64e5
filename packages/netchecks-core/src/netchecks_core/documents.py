"""Reading documents: JSON or YAML text, one or many documents, within the limits.

The one parser of manifests and probe files for the library (:mod:`netchecks_core.manifests`)
and the probe's CLI. It loads no models, so a probe run that reads a config stays light;
YAML nodes are kept on request, for the line of each rule.
"""

from __future__ import annotations

import json
from typing import Any

from netchecks_core.errors import NetchecksError
from netchecks_core.limits import DataLimitError, load_json, load_yaml_all_with_nodes


class ManifestError(NetchecksError, ValueError):
    """A manifest file or text cannot be read or parsed (the message says where and why)."""


def is_kubernetes_builtin(document: Any) -> bool:
    """Whether a document is a Kubernetes built-in (ConfigMap, NetworkPolicy...) or core group.

    They may sit beside assertions in a file; anything else that is not a
    NetworkAssertion is a mistake the validator reports.
    """
    from netchecks_core.assertion import KIND  # the models only when a document is checked

    if not isinstance(document, dict):
        return False
    api_version = document.get("apiVersion")
    if not isinstance(api_version, str) or document.get("kind") == KIND:
        return False
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def parse_documents(text: str, source: str = "") -> list[Any]:
    """JSON (one document) or YAML (one or more; empty ones dropped), within the limits.

    ``source`` ending in ``.json`` (or text starting with ``{``/``[``) reports JSON errors.

    Raises:
        ManifestError: the text is empty, holds no document, is not JSON or YAML,
            or exceeds a bound of :mod:`netchecks_core.limits`.
    """
    return [document for document, _node in parse_documents_with_nodes(text, source)]


def parse_documents_with_nodes(text: str, source: str = "") -> list[tuple[Any, Any]]:
    """:func:`parse_documents`, each document with its YAML node (None for JSON).

    The nodes carry line marks, so callers can say where in the file a rule is.
    """
    try:
        return _parse_documents(text, source)
    except DataLimitError as error:
        raise ManifestError(str(error)) from None


def _parse_documents(text: str, source: str) -> list[tuple[Any, Any]]:
    if not text.strip():
        raise ManifestError("is empty")
    try:
        return [(load_json(text), None)]
    except json.JSONDecodeError as json_error:
        import yaml  # only for YAML input

        try:
            documents = [d for d in load_yaml_all_with_nodes(text) if d[0] is not None]
        except yaml.YAMLError as yaml_error:
            if text.lstrip()[:1] in "{[" or source.endswith(".json"):
                where = f"line {json_error.lineno} column {json_error.colno}"
                raise ManifestError(f"invalid JSON at {where}: {json_error.msg}") from None
            raise ManifestError(f"invalid YAML: {_yaml_problem(yaml_error)}") from None
    if not documents:
        raise ManifestError("holds no document")
    return documents


def _yaml_problem(error: Any) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())
