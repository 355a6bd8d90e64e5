"""Models and contracts shared by the netchecks probe, operator and results service.

Nothing here does I/O. The ``cel`` extra adds :mod:`netchecks_core.cel`, the CEL engine.
"""

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
