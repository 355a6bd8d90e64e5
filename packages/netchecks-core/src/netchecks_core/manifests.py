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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netchecks_core.assertion import NetworkAssertion
from netchecks_core.documents import ManifestError, is_kubernetes_builtin, parse_documents
from netchecks_core.validation import Report, validate_manifest

#: Largest manifest file read (the API server stores at most ~1.5 MiB per object).
MAX_MANIFEST_BYTES = 8 * 1024 * 1024


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
