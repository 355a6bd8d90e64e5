"""Loading NetworkAssertion manifests: files or text of JSON or YAML, one or many documents.

Each document is checked by the one validator (:func:`netchecks_core.validation.validate_manifest`)
and becomes a :class:`Manifest`: its :class:`~netchecks_core.assertion.NetworkAssertion`
when valid, else the validator's problems. Kubernetes built-ins beside the assertions
(ConfigMaps, Secrets, NetworkPolicies) are skipped. Text that cannot be read or parsed
raises :class:`ManifestError`; parsing is bounded by :mod:`netchecks_core.limits`.

The validator compiles CEL rules, so loading needs the ``cel`` extra
(``pip install "netchecks-core[cel]"``).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netchecks_core.assertion import KIND, NetworkAssertion
from netchecks_core.errors import NetchecksError
from netchecks_core.limits import DataLimitError, load_json, load_yaml_all_with_nodes
from netchecks_core.validation import Report, validate_manifest

#: Largest manifest file read (the API server stores at most ~1.5 MiB per object).
MAX_MANIFEST_BYTES = 8 * 1024 * 1024


class ManifestError(NetchecksError, ValueError):
    """A manifest file or text cannot be read or parsed (the message says where and why)."""


@dataclass(frozen=True)
class Manifest:
    """One NetworkAssertion document: the model when valid, else the validator's problems."""

    #: Where it came from: ``a.yaml``, or ``a.yaml[1]`` for the second document of a file.
    source: str
    #: The document as parsed.
    document: Any
    #: The validator's report: problems (empty when valid) and warnings.
    report: Report
    #: The assertion, when the report has no problem.
    assertion: NetworkAssertion | None

    @property
    def valid(self) -> bool:
        """Whether the validator found nothing wrong."""
        return self.assertion is not None


def load_manifests(path: str | Path) -> list[Manifest]:
    """The NetworkAssertions of one JSON or YAML file (several documents allowed).

    Raises:
        ManifestError: the file cannot be read, is too large, or is not JSON or YAML.
    """
    source = str(path)
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_MANIFEST_BYTES + 1)
    except OSError as error:
        raise ManifestError(f"{source}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{source}: is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{source}: not UTF-8 text ({error.reason})") from None
    return parse_manifests(text, source)


def parse_manifests(text: str, source: str = "<text>") -> list[Manifest]:
    """The NetworkAssertions of JSON or YAML text (``source`` names it in messages).

    Raises:
        ManifestError: the text is empty or is not JSON or YAML.
    """
    _require_validator()
    try:
        documents = parse_documents(text, source)
    except ManifestError as error:
        raise ManifestError(f"{source}: {error}") from None
    return [
        _manifest(f"{source}[{index}]" if len(documents) > 1 else source, document)
        for index, document in enumerate(documents)
        if not is_kubernetes_builtin(document)
    ]


#: What the validator imports beyond the models: the CEL engine and the cron parser.
_VALIDATOR_MODULES = ("celpy", "croniter")


def _require_validator() -> None:
    """Raise a clear ``ModuleNotFoundError`` when the ``cel`` extra is not installed.

    Without it the validator would fail only on the first manifest with a CEL rule
    or a schedule, naming a module people did not know they needed.
    """
    missing = [name for name in _VALIDATOR_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ModuleNotFoundError(
            f"checking manifests needs {' and '.join(missing)}, from the cel extra: "
            'pip install "netchecks-core[cel]"',
            name=missing[0],
        )


def _manifest(source: str, document: Any) -> Manifest:
    report = validate_manifest(document)
    assertion = NetworkAssertion.model_validate(document) if report.valid else None
    return Manifest(source, document, report, assertion)


def is_kubernetes_builtin(document: Any) -> bool:
    """Whether a document is a Kubernetes built-in (ConfigMap, NetworkPolicy...) or core group.

    They may sit beside assertions in a file; anything else that is not a
    NetworkAssertion is a mistake the validator reports.
    """
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
