"""Models, loading and validation of netchecks manifests and probe files.

``pip install netchecks-core`` gives the models; the ``cel`` extra adds the CEL engine
and the validator (``pip install "netchecks-core[cel]"``). The public API, every name
of ``__all__`` (a guide with examples: ``docs/library.md``):

- loading: :func:`load_manifests`, :func:`parse_manifests` give a :class:`Manifest` per
  NetworkAssertion document (its :class:`NetworkAssertion` when valid, else its problems);
- typed rules: :meth:`NetworkAssertionSpec.typed_rules` and :func:`typed_rules` give
  each rule dict as its type's model (:class:`DnsRule`, :class:`HttpRule`, ...);
- the one validator: :func:`validate_manifest`, :func:`validate_config`,
  :func:`check_unrendered_rule`, :func:`parse_rule` report :class:`Problem` s;
- the verdict table: :func:`decide`;
- JSON Schemas: :func:`assertion_schema`, :func:`probe_config_schema`,
  :func:`probe_output_schema`;
- errors: :class:`NetchecksError` is the root of every error raised here.

Names are imported on first use (PEP 562): ``import netchecks_core`` loads none of the
models, and importing one module (the probe needs only the config and output models)
does not build every model.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from netchecks_core.assertion import (
        API_VERSION,
        AssertionContext,
        Condition,
        NetworkAssertion,
        NetworkAssertionSpec,
        NetworkAssertionStatus,
        Summary,
    )
    from netchecks_core.documents import ManifestError
    from netchecks_core.errors import NetchecksError
    from netchecks_core.manifests import Manifest, load_manifests, parse_manifests
    from netchecks_core.probe_config import (
        AssertionConfig,
        Context,
        DirectoryContext,
        FileContext,
        InlineContext,
        ProbeConfig,
    )
    from netchecks_core.probe_output import (
        AssertionResult,
        OutputMetadata,
        ProbeOutput,
        RuleResult,
        RuleStatus,
    )
    from netchecks_core.rules import (
        RULE_TYPES,
        DnsRule,
        HttpRule,
        InternalRule,
        PostgresGrantsRule,
        PostgresRule,
        Rule,
        RuleBase,
        TcpRule,
    )
    from netchecks_core.schema import (
        assertion_schema,
        probe_config_schema,
        probe_output_schema,
    )
    from netchecks_core.typed import RuleError, TemplatedRule, typed_rules
    from netchecks_core.validation import (
        Problem,
        Report,
        RuleProblems,
        check_unrendered_rule,
        parse_rule,
        validate_config,
        validate_manifest,
    )
    from netchecks_core.verdict import CelOutcome, Verdict, decide

__all__ = [
    "API_VERSION",
    "RULE_TYPES",
    "AssertionConfig",
    "AssertionContext",
    "AssertionResult",
    "CelOutcome",
    "Condition",
    "Context",
    "DirectoryContext",
    "DnsRule",
    "FileContext",
    "HttpRule",
    "InlineContext",
    "InternalRule",
    "Manifest",
    "ManifestError",
    "NetchecksError",
    "NetworkAssertion",
    "NetworkAssertionSpec",
    "NetworkAssertionStatus",
    "OutputMetadata",
    "PostgresGrantsRule",
    "PostgresRule",
    "ProbeConfig",
    "ProbeOutput",
    "Problem",
    "Report",
    "Rule",
    "RuleBase",
    "RuleError",
    "RuleProblems",
    "RuleResult",
    "RuleStatus",
    "Summary",
    "TcpRule",
    "TemplatedRule",
    "Verdict",
    "assertion_schema",
    "check_unrendered_rule",
    "decide",
    "load_manifests",
    "parse_manifests",
    "parse_rule",
    "probe_config_schema",
    "probe_output_schema",
    "typed_rules",
    "validate_config",
    "validate_manifest",
]

_LAZY: dict[str, str] = {
    "API_VERSION": "netchecks_core.assertion",
    "AssertionConfig": "netchecks_core.probe_config",
    "AssertionContext": "netchecks_core.assertion",
    "AssertionResult": "netchecks_core.probe_output",
    "CelOutcome": "netchecks_core.verdict",
    "Condition": "netchecks_core.assertion",
    "Context": "netchecks_core.probe_config",
    "DirectoryContext": "netchecks_core.probe_config",
    "DnsRule": "netchecks_core.rules",
    "FileContext": "netchecks_core.probe_config",
    "HttpRule": "netchecks_core.rules",
    "InlineContext": "netchecks_core.probe_config",
    "InternalRule": "netchecks_core.rules",
    "Manifest": "netchecks_core.manifests",
    "ManifestError": "netchecks_core.documents",
    "NetchecksError": "netchecks_core.errors",
    "NetworkAssertion": "netchecks_core.assertion",
    "NetworkAssertionSpec": "netchecks_core.assertion",
    "NetworkAssertionStatus": "netchecks_core.assertion",
    "OutputMetadata": "netchecks_core.probe_output",
    "PostgresGrantsRule": "netchecks_core.rules",
    "PostgresRule": "netchecks_core.rules",
    "ProbeConfig": "netchecks_core.probe_config",
    "ProbeOutput": "netchecks_core.probe_output",
    "Problem": "netchecks_core.validation",
    "RULE_TYPES": "netchecks_core.rules",
    "Report": "netchecks_core.validation",
    "Rule": "netchecks_core.rules",
    "RuleBase": "netchecks_core.rules",
    "RuleError": "netchecks_core.typed",
    "RuleProblems": "netchecks_core.validation",
    "RuleResult": "netchecks_core.probe_output",
    "RuleStatus": "netchecks_core.probe_output",
    "Summary": "netchecks_core.assertion",
    "TcpRule": "netchecks_core.rules",
    "TemplatedRule": "netchecks_core.typed",
    "Verdict": "netchecks_core.verdict",
    "check_unrendered_rule": "netchecks_core.validation",
    "decide": "netchecks_core.verdict",
    "load_manifests": "netchecks_core.manifests",
    "assertion_schema": "netchecks_core.schema",
    "parse_manifests": "netchecks_core.manifests",
    "parse_rule": "netchecks_core.validation",
    "probe_config_schema": "netchecks_core.schema",
    "probe_output_schema": "netchecks_core.schema",
    "typed_rules": "netchecks_core.typed",
    "validate_config": "netchecks_core.validation",
    "validate_manifest": "netchecks_core.validation",
}


def __getattr__(name: str) -> _typing.Any:
    import importlib  # here, not at the top: the package's namespace holds only the API

    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'netchecks_core' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
