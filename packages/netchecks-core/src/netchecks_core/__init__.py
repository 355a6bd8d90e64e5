"""Models and contracts shared by the netchecks probe, operator and results service.

Nothing here does I/O. The ``cel`` extra adds :mod:`netchecks_core.cel`, the CEL engine.

Names are imported on first use (PEP 562): importing one module of the package
(the probe needs only the config and output models) does not build every model.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netchecks_core.assertion import (
        API_VERSION,
        AssertionContext,
        Condition,
        NetworkAssertion,
        NetworkAssertionSpec,
        NetworkAssertionStatus,
        Summary,
    )
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
    from netchecks_core.validation import RuleProblems, check_unrendered_rule, parse_rule

__all__ = [
    "API_VERSION",
    "RULE_TYPES",
    "AssertionConfig",
    "AssertionContext",
    "AssertionResult",
    "Condition",
    "Context",
    "DirectoryContext",
    "DnsRule",
    "FileContext",
    "HttpRule",
    "InlineContext",
    "InternalRule",
    "NetworkAssertion",
    "NetworkAssertionSpec",
    "NetworkAssertionStatus",
    "OutputMetadata",
    "PostgresGrantsRule",
    "PostgresRule",
    "ProbeConfig",
    "ProbeOutput",
    "Rule",
    "RuleBase",
    "RuleProblems",
    "RuleResult",
    "RuleStatus",
    "Summary",
    "TcpRule",
    "check_unrendered_rule",
    "parse_rule",
]

_LAZY: dict[str, str] = {
    "API_VERSION": "netchecks_core.assertion",
    "AssertionConfig": "netchecks_core.probe_config",
    "AssertionContext": "netchecks_core.assertion",
    "AssertionResult": "netchecks_core.probe_output",
    "Condition": "netchecks_core.assertion",
    "Context": "netchecks_core.probe_config",
    "DirectoryContext": "netchecks_core.probe_config",
    "DnsRule": "netchecks_core.rules",
    "FileContext": "netchecks_core.probe_config",
    "HttpRule": "netchecks_core.rules",
    "InlineContext": "netchecks_core.probe_config",
    "InternalRule": "netchecks_core.rules",
    "NetworkAssertion": "netchecks_core.assertion",
    "NetworkAssertionSpec": "netchecks_core.assertion",
    "NetworkAssertionStatus": "netchecks_core.assertion",
    "OutputMetadata": "netchecks_core.probe_output",
    "PostgresGrantsRule": "netchecks_core.rules",
    "PostgresRule": "netchecks_core.rules",
    "ProbeConfig": "netchecks_core.probe_config",
    "ProbeOutput": "netchecks_core.probe_output",
    "RULE_TYPES": "netchecks_core.rules",
    "Rule": "netchecks_core.rules",
    "RuleBase": "netchecks_core.rules",
    "RuleProblems": "netchecks_core.validation",
    "RuleResult": "netchecks_core.probe_output",
    "RuleStatus": "netchecks_core.probe_output",
    "Summary": "netchecks_core.assertion",
    "TcpRule": "netchecks_core.rules",
    "check_unrendered_rule": "netchecks_core.validation",
    "parse_rule": "netchecks_core.validation",
}


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'netchecks_core' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
