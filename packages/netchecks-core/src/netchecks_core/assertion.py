"""The ``NetworkAssertion`` resource (``netchecks.io/v1``): spec and status.

Rules are kept as raw dicts in the spec (templated fields are strings until
the probe renders them); :func:`netchecks_core.validation.check_rule` checks
each against its type.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from netchecks_core.probe_config import ContextName

GROUP = "netchecks.io"
VERSION = "v1"
API_VERSION: Final = "netchecks.io/v1"
KIND: Final = "NetworkAssertion"
PLURAL = "networkassertions"
SINGULAR = "networkassertion"
SHORT_NAMES = ("nas",)


class _Camel(BaseModel):
    # camelCase on the wire; snake_case names in Python. Manifests must use the wire
    # names (validate_by_name is off): a ``config_map:`` key is a mistake, refused.
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, serialize_by_alias=True)


class KeyToPath(_Camel):
    """One key of a ConfigMap or Secret projected to a file path."""

    key: str = Field(min_length=1)
    path: str = Field(min_length=1)
    mode: int | None = Field(default=None, ge=0, le=0o777)


#: A context's name: letters (either case), digits, ``-`` and ``_`` (0.10 accepted capitals).
CONTEXT_NAME_PATTERN: Final = r"^[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?$"


class ConfigMapContextSource(_Camel):
    """A ConfigMap mounted read-only into the probe Pod.

    Without ``name`` the object is the one named like the context, as in 0.10.
    """

    name: str | None = Field(default=None, min_length=1)
    items: list[KeyToPath] | None = None
    optional: bool | None = None
    default_mode: int | None = Field(default=None, ge=0, le=0o777)


class SecretContextSource(ConfigMapContextSource):
    """A Secret mounted read-only into the probe Pod; its values are redacted."""


class AssertionContext(_Camel):
    """Named data for templates and CEL rules: exactly one source."""

    name: ContextName = Field(min_length=1, max_length=63, pattern=CONTEXT_NAME_PATTERN)
    config_map: ConfigMapContextSource | None = None
    secret: SecretContextSource | None = None
    inline: Any = None

    @model_validator(mode="after")
    def _one_source(self) -> AssertionContext:
        sources = {"configMap": self.config_map, "secret": self.secret, "inline": self.inline}
        given = [name for name, source in sources.items() if source is not None]
        if len(given) != 1:
            raise ValueError(
                f"context {self.name!r} needs exactly one of configMap, secret, inline "
                f"(has {', '.join(given) or 'none'})"
            )
        return self

    def source_name(self) -> str | None:
        """The ConfigMap or Secret to mount: its ``name``, else the context's (None: inline)."""
        source = self.config_map or self.secret
        if source is None:
            return None
        return source.name or self.name


class LabelSelectorRequirement(_Camel):
    """One ``matchExpressions`` entry of a label selector."""

    key: str = Field(min_length=1, max_length=317, description="The label key.")
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"] = Field(
        description="In, NotIn (with values), Exists or DoesNotExist (without)."
    )
    values: list[str] = Field(
        default_factory=list, max_length=256, description="The values In and NotIn compare."
    )

    @model_validator(mode="after")
    def _values_fit_operator(self) -> LabelSelectorRequirement:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"{self.operator} on {self.key!r} needs at least one value")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"{self.operator} on {self.key!r} takes no values")
        return self


class LabelSelector(_Camel):
    """A standard label selector: every label and expression must match."""

    match_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels a node must have, with these values."
    )
    match_expressions: list[LabelSelectorRequirement] = Field(
        default_factory=list, max_length=64, description="Expressions a node must match."
    )


class Toleration(_Camel):
    """A Pod toleration (the Kubernetes ``core/v1`` Toleration)."""

    key: str | None = Field(default=None, description="The taint key; empty with Exists: all.")
    operator: Literal["Equal", "Exists"] | None = Field(
        default=None, description="Equal (default) compares the value; Exists ignores it."
    )
    value: str | None = Field(default=None, description="The taint value Equal compares.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="The taint effect tolerated; empty: every effect."
    )
    toleration_seconds: int | None = Field(
        default=None, description="How long a NoExecute taint is tolerated (default: forever)."
    )


#: Most nodes one per-node run covers: bounds the Jobs, Pods and report size of a run.
MAX_PLACEMENT_NODES: Final = 500


class NodePlacement(_Camel):
    """Run the assertion once per matching node, each probe Pod pinned to its node."""

    selector: LabelSelector | None = Field(
        default=None,
        description="Which nodes (by label). Absent or empty: every schedulable, Ready node.",
    )
    tolerations: list[Toleration] = Field(
        default_factory=list,
        max_length=32,
        description="Taints to tolerate, so tainted node pools are included; also set on "
        "the probe Pods.",
    )
    max_concurrent: int | None = Field(
        default=None,
        ge=1,
        le=MAX_PLACEMENT_NODES,
        description="Most probe Pods of one run at once (absent: all nodes at once).",
    )


class Placement(_Camel):
    """Where the probe runs. Absent: one probe Pod, wherever the scheduler puts it."""

    nodes: NodePlacement | None = Field(
        default=None, description="Run once per matching node; results per node."
    )


class NetworkAssertionSpec(_Camel):
    """What the network must and must not allow."""

    rules: list[dict[str, Any]] = Field(min_length=1)
    schedule: str | None = None
    context: list[AssertionContext] = Field(default_factory=list)
    template: dict[str, Any] | None = None
    disable_redaction: bool = False
    placement: Placement | None = None

    @model_validator(mode="after")
    def _unique_context_names(self) -> NetworkAssertionSpec:
        # Rule names may repeat (0.10 accepted it): results are told apart by
        # netchecks_core.convert.result_names. Context names are variables: unique.
        seen: set[str] = set()
        for context in self.context:
            if context.name in seen:
                raise ValueError(f"context name {context.name!r} is used twice")
            seen.add(context.name)
        return self


ConditionStatus = Literal["True", "False", "Unknown"]


class _Written(_Camel):
    # Written by the operator in Python (snake_case names), read back from the API.
    model_config = ConfigDict(validate_by_name=True)


class Condition(_Written):
    """A standard Kubernetes condition."""

    type: str
    status: ConditionStatus
    reason: str
    message: str = ""
    last_transition_time: str
    observed_generation: int | None = None


class Summary(BaseModel):
    """Result counts of the latest run (the PolicyReport's summary)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    pass_: int = Field(default=0, alias="pass", ge=0)
    fail: int = Field(default=0, ge=0)
    warn: int = Field(default=0, ge=0)
    error: int = Field(default=0, ge=0)
    skip: int = Field(default=0, ge=0)


class NodesSummary(_Written):
    """How the nodes of the latest per-node run fared (``spec.placement.nodes``)."""

    total: int = Field(default=0, ge=0, description="Nodes the run covered.")
    passing: int = Field(default=0, ge=0, description="Nodes where every rule passed.")
    failing: int = Field(
        default=0, ge=0, description="Nodes with a result other than pass (fail or error)."
    )
    failing_nodes: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="The first failing nodes by name (at most 10).",
    )


class NetworkAssertionStatus(_Written):
    """What the operator observed and the latest results."""

    observed_generation: int | None = None
    job_name: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    summary: Summary | None = None
    last_result_time: str | None = None
    nodes: NodesSummary | None = None


class NetworkAssertion(BaseModel):
    """The whole resource as read from the API server."""

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, serialize_by_alias=True)

    api_version: Literal["netchecks.io/v1"] = API_VERSION
    kind: Literal["NetworkAssertion"] = KIND
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: NetworkAssertionSpec
    status: NetworkAssertionStatus | None = None
