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
from typing import Any

from netchecks_core.assertion import KIND, NetworkAssertionSpec
from netchecks_core.convert import probe_config_from_spec
from netchecks_core.validation import Report, validate_config, validate_manifest
from pydantic import ValidationError

from netchecks_probe.inputs import Document

#: (assertion index, rule index) in the combined probe config.
RuleKey = tuple[int, int]


def manifest_report(document: Document) -> Report | None:
    """The validator's report of a manifest document (None: a Kubernetes built-in, skipped)."""
    content = document.content
    if isinstance(content, dict) and _is_builtin(content):
        return None
    return validate_manifest(content)


def _is_builtin(content: dict[str, Any]) -> bool:
    """ConfigMaps, Secrets, NetworkPolicies... may sit beside an assertion in a file."""
    api_version = content.get("apiVersion")
    if not isinstance(api_version, str) or content.get("kind") == KIND:
        return False
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


@dataclass
class Intake:
    """Every document's problems, and the one probe config of the usable ones."""

    problems: list[str] = field(default_factory=list)
    #: Things that work but may not be meant (repeated rule names), one line each.
    warnings: list[str] = field(default_factory=list)
    #: Documents without problems and their rule counts (``validate`` lists them).
    valid: list[tuple[str, int]] = field(default_factory=list)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The error result of each refused rule, by its place in the config.
    refused: dict[RuleKey, dict[str, Any]] = field(default_factory=dict)
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

    def config(self) -> dict[str, Any] | None:
        """The probe config of every usable document (None: nothing can run)."""
        if not self.redaction_off:  # no document was added
            return None
        config: dict[str, Any] = {
            "assertions": self.assertions,
            "contexts": list(self.contexts.values()),
        }
        if self.redaction_off and all(self.redaction_off):
            config["disableRedaction"] = True
        return config

    def add(self, label: str, config: dict[str, Any], report: Report, flat: bool) -> None:
        """Add a document's config; its refused rules become error results.

        ``flat``: the report numbers rules in one list (``spec.rules[i]``) that
        the config spreads over its assertions in order.
        """
        clash = self._merge_contexts(config.get("contexts") or [])
        if clash:
            self.problems.append(f"{label}: {clash}; run these files separately")
            return
        self.redaction_off.append(config.get("disableRedaction") is True)
        invalid = report.invalid_rules()
        position = 0
        for a_index, assertion in enumerate(config.get("assertions") or []):
            key_a = len(self.assertions)
            kept = []
            for r_index, rule in enumerate(assertion.get("rules") or []):
                own = (position,) if flat else (a_index, r_index)
                position += 1
                if own in invalid:
                    self.refused[(key_a, r_index)] = refused_result(rule, report.messages(own))
                else:
                    kept.append(rule)
            self.assertions.append({**assertion, "rules": kept})

    def _merge_contexts(self, contexts: list[Any]) -> str | None:
        for context in contexts:
            name = context.get("name") if isinstance(context, dict) else None
            if not isinstance(name, str):
                continue
            if name in self.contexts and self.contexts[name] != context:
                return f"context {name!r} differs from one of the same name in an earlier document"
        for context in contexts:
            if isinstance(context, dict) and isinstance(context.get("name"), str):
                self.contexts[context["name"]] = context
        return None


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
            intake.add(document.label, document.content, report, flat=False)


#: Said when ``netchecks run -f`` meets ``spec.placement`` (nodes exist only in a cluster).
PLACEMENT_NOTE = "spec.placement applies in-cluster only; the rules run once, here"


def take_manifests(
    documents: list[Document],
    intake: Intake,
    context_dirs: Mapping[str, str] | None = None,
    secret_dirs: Mapping[str, str] | None = None,
) -> None:
    """Check manifest documents; with ``context_dirs`` given, add the runnable ones."""
    for document in documents:
        report = manifest_report(document)
        if report is None:
            continue
        intake.assertions_seen += 1
        intake.note(document.label, report)
        if context_dirs is None or secret_dirs is None:
            continue
        spec = _spec(document.content, report)
        if spec is None:
            continue
        paths, missing = _context_paths(spec, context_dirs, secret_dirs)
        if missing:
            intake.problems += [f"{document.label}: {m}" for m in missing]
            continue
        if spec.placement is not None:
            intake.warnings.append(f"{document.label}: warning: {PLACEMENT_NOTE}")
        intake.add(document.label, probe_config_from_spec(spec, paths), report, flat=True)


def _spec(content: Any, report: Report) -> NetworkAssertionSpec | None:
    """The spec model, if the document is a NetworkAssertion whose spec parses."""
    if any(p.path == "apiVersion" for p in report.problems):
        return None
    try:
        return NetworkAssertionSpec.model_validate(content.get("spec"))
    except (ValidationError, AttributeError):
        return None


def _context_paths(
    spec: NetworkAssertionSpec, context_dirs: Mapping[str, str], secret_dirs: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    paths: dict[str, str] = {}
    missing: list[str] = []
    for context in spec.context:
        if context.inline is not None:
            continue
        given = context_dirs if context.config_map is not None else secret_dirs
        if context.name in given:
            paths[context.name] = given[context.name]
            continue
        kind, option = (
            ("configMap", "--context-dir") if context.config_map else ("secret", "--secret-dir")
        )
        missing.append(
            f"context {context.name!r} comes from {kind} {context.source_name()!r}: "
            f"give its files with {option} {context.name}=PATH"
        )
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
