"""The CLI's side of validation: documents in, core's validator asked, one probe config out.

``netchecks validate`` prints each document's problems; ``netchecks run``
also builds one probe config from every usable document (NetworkAssertions are
converted as the operator converts them), leaves the refused rules out and
keeps an ``error`` result for each, with the validator's message, to put in
the output where the rule would have been.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netchecks_core.convert import probe_config_from_spec
from netchecks_core.documents import is_kubernetes_builtin
from netchecks_core.validation import Report, validate_config, validate_manifest

from netchecks_probe.batches import Batch
from netchecks_probe.context_sources import ContextSources, namespace_of
from netchecks_probe.inputs import Document
from netchecks_probe.locations import locate

if TYPE_CHECKING:
    # Imported where manifests are read: running a probe config needs none of their models.
    from netchecks_core.assertion import NetworkAssertionSpec


def manifest_report(document: Document) -> Report | None:
    """The validator's report of a manifest document (None: a Kubernetes built-in, skipped)."""
    if is_kubernetes_builtin(document.content):
        return None
    return validate_manifest(document.content)


@dataclass
class Intake:
    """Every document's problems, and the probe configs (batches) of the usable ones."""

    problems: list[str] = field(default_factory=list)
    #: Things that work but may not be meant (repeated rule names), one line each.
    warnings: list[str] = field(default_factory=list)
    #: Documents without problems and their rule counts (``validate`` lists them).
    valid: list[tuple[str, int]] = field(default_factory=list)
    #: Documents whose contexts agree share a batch (see :class:`Batch`).
    batches: list[Batch] = field(default_factory=list)
    #: NetworkAssertion documents read (built-in kinds beside them are skipped).
    assertions_seen: int = 0
    #: One flag per document added: whether it turns redaction off.
    redaction_off: list[bool] = field(default_factory=list)

    def note(self, label: str, report: Report) -> None:
        """Record a document's report."""
        self.problems += [f"{label}: {line}" for line in report.messages()]
        self.warnings += [f"{label}: warning: {warning}" for warning in report.warnings]
        if report.valid:
            self.valid.append((label, report.rules))

    def configs(self) -> list[dict[str, Any]]:
        """The probe config of each batch (none: nothing can run).

        Redaction is off only when every document added turns it off.
        """
        redaction_off = bool(self.redaction_off) and all(self.redaction_off)
        return [batch.config(redaction_off) for batch in self.batches]

    def add(
        self,
        document: Document,
        config: dict[str, Any],
        report: Report,
        flat: bool,
        label: str | None = None,
    ) -> None:
        """Add a document's config to the first batch its contexts agree with.

        Its refused rules become error results. ``flat``: the report numbers rules
        in one list (``spec.rules[i]``) that the config spreads over its assertions.
        ``label``: what reports call the config's assertions (a NetworkAssertion's name).
        """
        contexts = [c for c in config.get("contexts") or [] if isinstance(c, dict)]
        batch = next((b for b in self.batches if b.agrees(contexts)), None)
        if batch is None:
            batch = Batch()
            self.batches.append(batch)
        batch.take_contexts(contexts)
        self.redaction_off.append(config.get("disableRedaction") is True)
        invalid = report.invalid_rules()
        position = 0
        for a_index, assertion in enumerate(config.get("assertions") or []):
            key_a = len(batch.assertions)
            if label is not None:
                batch.labels[key_a] = label
            kept = []
            for r_index, rule in enumerate(assertion.get("rules") or []):
                own = (position,) if flat else (a_index, r_index)
                position += 1
                if where := locate(document.rule_lines, own, document.file):
                    batch.locations[(key_a, r_index)] = where
                if own in invalid:
                    batch.refused[(key_a, r_index)] = refused_result(rule, report.messages(own))
                else:
                    kept.append(rule)
            batch.assertions.append({**assertion, "rules": kept})


def _contexts_of(content: Any) -> list[dict[str, Any]]:
    spec = content.get("spec") if isinstance(content, dict) else None
    contexts = spec.get("context") if isinstance(spec, dict) else None
    return [c for c in contexts if isinstance(c, dict)] if isinstance(contexts, list) else []


def refused_result(rule: Any, messages: list[str]) -> dict[str, Any]:
    """The ``error`` result of a rule the validator refused (it was not run)."""
    name = rule.get("name") if isinstance(rule, dict) else None
    return {
        "name": name if isinstance(name, str) and "{{" not in name else None,
        "spec": copy.deepcopy(rule) if isinstance(rule, dict) else {},
        "data": {},
        "status": "error",
        "message": "not run, the rule is invalid: " + "; ".join(messages),
    }


def take_configs(documents: list[Document], intake: Intake) -> None:
    """Check probe config documents and add the usable ones."""
    for document in documents:
        report = validate_config(document.content)
        intake.note(document.label, report)
        if not any(p.rule is None for p in report.problems):
            intake.add(document, document.content, report, flat=False)


#: Said when ``netchecks run -f`` meets ``spec.placement`` (nodes exist only in a cluster).
PLACEMENT_NOTE = "spec.placement applies in-cluster only; the rules run once, here"


def take_manifests(
    documents: list[Document], intake: Intake, sources: ContextSources | None = None
) -> None:
    """Check manifest documents; with ``sources`` given, add the runnable ones."""
    for document in documents:
        report = manifest_report(document)
        if report is None:
            continue
        intake.assertions_seen += 1
        intake.note(document.label, report)
        if sources is None:
            continue
        spec = _spec(document.content, report)
        if spec is None:
            continue
        paths, missing = _context_paths(spec, sources, namespace_of(document.content))
        if missing:
            intake.problems += [f"{document.label}: {m}" for m in missing]
            continue
        if spec.placement is not None:
            intake.warnings.append(f"{document.label}: warning: {PLACEMENT_NOTE}")
        config = probe_config_from_spec(spec, paths)
        intake.add(document, config, report, flat=True, label=manifest_label(document.content))


def manifest_label(content: Any) -> str | None:
    """A NetworkAssertion's ``namespace/name`` (``name`` when it names no namespace)."""
    metadata = content.get("metadata") if isinstance(content, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return None
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if isinstance(namespace, str) else metadata["name"]


def _spec(content: Any, report: Report) -> NetworkAssertionSpec | None:
    """The spec model, if the document is a NetworkAssertion whose spec parses."""
    from netchecks_core.assertion import NetworkAssertionSpec
    from pydantic import ValidationError

    if any(p.path == "apiVersion" for p in report.problems):
        return None
    try:
        return NetworkAssertionSpec.model_validate(content.get("spec"))
    except (ValidationError, AttributeError):
        return None


def _context_paths(
    spec: NetworkAssertionSpec, sources: ContextSources, namespace: str
) -> tuple[dict[str, str], list[str]]:
    paths: dict[str, str] = {}
    missing: list[str] = []
    for context in spec.context:
        if context.inline is not None:
            continue
        path, problem = sources.path_of(context, namespace)
        if path is None:
            missing.append(problem)
        else:
            paths[context.name] = path
    return paths, missing


def unknown_dirs(
    documents: list[Document], context_dirs: Mapping[str, str], secret_dirs: Mapping[str, str]
) -> list[str]:
    """``--context-dir``/``--secret-dir`` names that match no context of their kind."""
    kinds: dict[str, set[str]] = {"configMap": set(), "secret": set()}
    for document in documents:
        for context in _contexts_of(document.content):
            for kind, names in kinds.items():
                if context.get(kind) is not None:
                    names.add(str(context.get("name")))
    wrong = []
    for option, given, kind in (
        ("--context-dir", context_dirs, "configMap"),
        ("--secret-dir", secret_dirs, "secret"),
    ):
        wrong += [
            f"{option} {name}=...: no {kind} context of that name in the manifests"
            for name in given
            if name not in kinds[kind]
        ]
    return wrong
