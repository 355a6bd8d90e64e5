"""Batches: the documents of one ``netchecks run`` whose contexts agree, run together.

A context is a variable every rule of a probe config sees, so two manifests
that give a context the same name with different sources (``cfg`` from the
ConfigMap of namespace ``a`` and from that of namespace ``b``) cannot share a
config. Each document joins the first batch its contexts agree with; batches
run one after another within the one ``--run-timeout``, and their outputs make
one report (and one exit code).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from netchecks_probe.locations import Location

if TYPE_CHECKING:
    from netchecks_core.runnable import RunnableConfig

    from netchecks_probe.runner import RunOptions

#: (assertion index, rule index) in a batch's probe config, or in the combined output.
RuleKey = tuple[int, int]
#: Time a batch reached after the run's deadline still gets: its rules end as ``deadline`` errors.
LATE_BATCH_SECONDS = 0.001


@dataclass
class Batch:
    """One probe config: the usable documents whose contexts agree."""

    assertions: list[dict[str, Any]] = field(default_factory=list)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The error result of each refused rule, by its place in the config.
    refused: dict[RuleKey, dict[str, Any]] = field(default_factory=dict)
    #: The file and line of each rule (kept or refused), by its place in the config.
    locations: dict[RuleKey, Location] = field(default_factory=dict)
    #: What reports call an assertion of the config, when not its name: a manifest's
    #: rules are assertions named after the rule, reported under the NetworkAssertion.
    labels: dict[int, str] = field(default_factory=dict)

    def agrees(self, contexts: list[dict[str, Any]]) -> bool:
        """Whether no context of ``contexts`` names a different one of this batch."""
        return all(
            self.contexts.get(name, context) == context
            for context in contexts
            if isinstance(name := context.get("name"), str)
        )

    def take_contexts(self, contexts: list[dict[str, Any]]) -> None:
        """Add a document's contexts (they agree, see :meth:`agrees`)."""
        for context in contexts:
            if isinstance(name := context.get("name"), str):
                self.contexts[name] = context

    def config(self, redaction_off: bool) -> dict[str, Any]:
        """The batch's probe config."""
        config: dict[str, Any] = {
            "assertions": self.assertions,
            "contexts": list(self.contexts.values()),
        }
        if redaction_off:
            config["disableRedaction"] = True
        return config

    def rule_count(self) -> int:
        """Rules the batch runs (refused ones are not run)."""
        return sum(len(assertion.get("rules") or []) for assertion in self.assertions)


@dataclass
class Combined:
    """The output document of every batch, with where each rule came from."""

    document: dict[str, Any]
    locations: dict[RuleKey, Location] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)

    def add(self, document: dict[str, Any], batch: Batch) -> None:
        """Append a batch's output document."""
        offset = len(self.document["assertions"])
        self.document["assertions"] += document["assertions"]
        self.locations.update({(a + offset, r): at for (a, r), at in batch.locations.items()})
        self.labels.update({a + offset: label for a, label in batch.labels.items()})


def run_batches(
    batches: list[tuple[Batch, dict[str, Any]]],
    options: RunOptions,
    progress: Callable[[str, dict[str, Any]], None] | None,
) -> Combined:
    """Run each (batch, config) in turn: one output document."""
    from netchecks_core.runnable import runnable_config

    from netchecks_probe.runner import config_redaction_off, run_config

    started = time.monotonic()
    combined: Combined | None = None
    models = [runnable_config(config) for _, config in batches]
    for (batch, _), model in zip(batches, models, strict=True):
        left = max(options.run_timeout - (time.monotonic() - started), LATE_BATCH_SECONDS)
        document = run_config(model, replace(options, run_timeout=left), progress)
        disable = options.disable_redaction or config_redaction_off(model)
        put_refused(document, batch.refused, disable)
        if combined is None:
            combined = Combined({**document, "assertions": []})
        combined.add(document, batch)
    assert combined is not None, "run_batches needs at least one batch"
    if len(models) > 1 and not (options.disable_redaction or config_redaction_off(models[0])):
        redact_across(combined.document, models)
    return combined


def redact_across(document: dict[str, Any], models: list[RunnableConfig]) -> None:
    """Redact every result with the Secret values of every batch.

    Each batch's run redacted its output with its own Secrets; a value of another
    batch's Secret may still show in it (a server echoing what it was sent).
    """
    from netchecks_probe.contexts import DirectoryMapping, load_contexts
    from netchecks_probe.redact import Redactor

    secrets: set[str] = set()
    for model in models:  # one at a time: batches name their contexts alike
        loaded = load_contexts([context for context in model.contexts if context.secret])
        for value in loaded.values.values():
            if isinstance(value, DirectoryMapping):
                for key in value:  # read every key: only values read are searched for
                    value.get(key)
        secrets.update(loaded.secret_values())
    redactor = Redactor(True, secrets)
    for assertion in document["assertions"]:
        assertion["name"] = redactor.text(assertion["name"])
        assertion["results"] = [redactor.result(result) for result in assertion["results"]]


def put_refused(
    document: dict[str, Any], refused: dict[RuleKey, dict[str, Any]], disable: bool
) -> None:
    """Put each refused rule's error result where the rule stood in its assertion."""
    from netchecks_core.output_document import result_entry

    from netchecks_probe.redact import Redactor

    redactor = Redactor(not disable)
    for (a_index, r_index), result in sorted(refused.items()):
        results = document["assertions"][a_index]["results"]
        results.insert(r_index, result_entry(redactor.result(result)))
