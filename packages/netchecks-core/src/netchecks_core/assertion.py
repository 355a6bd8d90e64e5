"""The ``NetworkAssertion`` resource (``netchecks.io/v1``): spec and status.

Rules are kept as raw dicts in the spec (templated fields are strings until
the probe renders them); :func:`netchecks_core.validation.check_unrendered_rule`
checks each against its type, and :meth:`NetworkAssertionSpec.typed_rules` gives
their models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from netchecks_core.probe_config import ContextName

if TYPE_CHECKING:
    from netchecks_core.rules import Rule
    from netchecks_core.typed import TemplatedRule

GROUP = "netchecks.io"
VERSION = "v1"
#: The ``apiVersion`` of a NetworkAssertion.
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

    key: str = Field(min_length=1, description="The key.")
    path: str = Field(min_length=1, description="The field name (file) it gets.")
    mode: int | None = Field(
        default=None, ge=0, le=0o777, description="File mode of this key (0 to 0777)."
    )


#: A context's name: letters (either case), digits, ``-`` and ``_`` (0.10 accepted capitals).
CONTEXT_NAME_PATTERN: Final = r"^[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?$"


class ConfigMapContextSource(_Camel):
    """A ConfigMap mounted read-only into the probe Pod.

    Without ``name`` the object is the one named like the context, as in 0.10.
    """

    name: str | None = Field(
        default=None,
        min_length=1,
        description="The object's name, in the assertion's namespace (default: the context's "
        "`name`, as in 0.10).",
    )
    items: list[KeyToPath] | None = Field(
        default=None,
        description="Only these keys, each projected to a file `path` as in a Pod volume "
        "(default: every key).",
    )
    optional: bool | None = Field(
        default=None, description="Run even if the object does not exist (default false)."
    )
    default_mode: int | None = Field(
        default=None,
        ge=0,
        le=0o777,
        description="File mode of the mounted keys (0 to 0777, default 0644).",
    )


class SecretContextSource(ConfigMapContextSource):
    """A Secret mounted read-only into the probe Pod; its values are redacted."""


class AssertionContext(_Camel):
    """Named data for templates and CEL rules: exactly one source."""

    name: ContextName = Field(
        min_length=1,
        max_length=63,
        pattern=CONTEXT_NAME_PATTERN,
        description="The name templates and CEL rules use for this data: letters of either "
        "case, digits, `-` and `_`, at most 63; not `data` or `spec`.",
    )
    config_map: ConfigMapContextSource | None = Field(
        default=None,
        description="A ConfigMap, mounted read-only into the probe Pod at `/mnt/NAME`; each "
        "key is a field.",
    )
    secret: SecretContextSource | None = Field(
        default=None,
        description="A Secret, like `configMap`; its values are redacted wherever they appear "
        "in results.",
    )
    inline: Any = Field(
        default=None,
        description="Any JSON data, copied into the probe config; its strings may hold "
        "templates of earlier contexts. The probe config is stored in one ConfigMap, so it "
        "must stay under 1 MiB (else `InvalidSpec`): put large data in a `configMap` or "
        "`secret` context.",
    )

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
        description="`In`/`NotIn` need `values`; `Exists`/`DoesNotExist` take none."
    )
    values: list[str] = Field(
        default_factory=list, max_length=256, description="The values `In` and `NotIn` compare."
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
        default_factory=list,
        max_length=64,
        description="Expressions a node must match (all of them).",
    )


class Toleration(_Camel):
    """A Pod toleration (the Kubernetes ``core/v1`` Toleration)."""

    key: str | None = Field(
        default=None, description="The taint key; empty with `Exists`: every taint."
    )
    operator: Literal["Equal", "Exists"] | None = Field(
        default=None, description="`Equal` compares `value`; `Exists` ignores it."
    )
    value: str | None = Field(default=None, description="The value `Equal` compares.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="The effect tolerated; empty: every effect."
    )
    toleration_seconds: int | None = Field(
        default=None, description="How long a `NoExecute` taint is tolerated."
    )


#: Most nodes one per-node run covers: bounds the Jobs, Pods and report size of a run.
MAX_PLACEMENT_NODES: Final = 500


class NodePlacement(_Camel):
    """Run the assertion once per matching node, each probe Pod pinned to its node."""

    selector: LabelSelector | None = Field(
        default=None,
        description="Which nodes, by label. Absent or empty: every node. Only schedulable (not "
        "cordoned), Ready nodes whose `NoSchedule`/`NoExecute` taints are tolerated take part.",
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
        description="Most probe Pods of one run at once; the others wait (suspended Jobs). "
        "Absent: all nodes at once.",
    )


class Placement(_Camel):
    """Where the probe runs. Absent: one probe Pod, wherever the scheduler puts it."""

    nodes: NodePlacement | None = Field(
        default=None, description="Run once per matching node; results per node."
    )


class NetworkAssertionSpec(_Camel):
    """What the network must and must not allow."""

    rules: list[dict[str, Any]] = Field(
        min_length=1,
        description="The checks to run (1 to 100); each gives one result. A rule has the "
        "fields of its `type`; string fields may hold `{{ expression }}` templates of the "
        'contexts, and a field that is one whole template (`port: "{{ db.port }}"`) takes '
        "the type of its value.",
    )
    schedule: str | None = Field(
        default=None,
        description="Cron schedule of a CronJob, as Kubernetes parses it: five fields "
        "(`*/10 * * * *`, `0 9-17 * * MON-FRI`), `@hourly`-style macros or `@every 90s`; no "
        "`TZ=`/`CRON_TZ=`, and the day of week runs 0 to 6. Absent: one Job per change of "
        "the spec.",
    )
    context: list[AssertionContext] = Field(
        default_factory=list,
        description="Named data for templates and CEL rules (up to 32), each from exactly one "
        "of `configMap`, `secret`, `inline`.",
    )
    template: dict[str, Any] | None = Field(
        default=None,
        description="Overrides of the probe Pod template: `metadata` (labels, annotations) and "
        "any `spec` field (`serviceAccountName`, `nodeSelector`, `tolerations`, `affinity`, "
        "`resources`, `priorityClassName`, ...). Labels are how the probe runs as a workload "
        "(NetworkPolicies selecting them apply).",
    )
    disable_redaction: bool = Field(
        default=False,
        description="Keep headers, DSNs, passwords and Secret values in results (default false).",
    )
    placement: Placement | None = Field(
        default=None,
        description="Where the probe runs. Absent: one probe Pod, wherever the scheduler puts "
        "it; `nodes`: once per matching node, results per node.",
    )

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

    def typed_rules(self) -> list[Rule | TemplatedRule]:
        """Each of ``rules`` as its type's model, or a :class:`TemplatedRule` until rendered.

        Raises:
            netchecks_core.typed.RuleError: a rule does not fit its type.
        """
        from netchecks_core.typed import typed_rules  # the validator, loaded on use

        return typed_rules(self.rules, "spec.rules")


ConditionStatus = Literal["True", "False", "Unknown"]


class _Written(_Camel):
    # Written by the operator in Python (snake_case names), read back from the API.
    model_config = ConfigDict(validate_by_name=True)


class Condition(_Written):
    """A standard Kubernetes condition."""

    type: str = Field(
        description="The condition's type: `Ready`, `Passing`, `Reconciling`, `Stalled` or "
        "`Reconciled`."
    )
    status: ConditionStatus = Field(
        description="`True`, `False` or `Unknown`; `Ready` is `True` once the results of a run "
        "of the current spec are published, whatever they say."
    )
    reason: str = Field(
        description="Why, in one CamelCase word. For `Ready` and `Reconciled`: `ProbeComplete`, "
        "`Progressing`, `InvalidSpec`, `ContextNotFound`, `ResultParseError`, `ReconcileError` "
        "(the troubleshooting guide explains each); for `Passing`: `RulesPassing`, "
        "`RulesFailing`, `RulesErroring`, `NoResults`."
    )
    message: str = Field(
        default="",
        description="What happened, for people; for `ProbeComplete` and `Passing`, the result "
        "counts (`3 pass, 1 fail`).",
    )
    last_transition_time: str = Field(description="When `status` last changed (RFC 3339).")
    observed_generation: int | None = Field(
        default=None, description="The spec generation the condition describes."
    )


class Summary(BaseModel):
    """Result counts of the latest run (the PolicyReport's summary)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    pass_: int = Field(default=0, alias="pass", ge=0, description="Rules that passed.")
    fail: int = Field(default=0, ge=0, description="Rules that failed.")
    warn: int = Field(default=0, ge=0, description="Always 0 today (PolicyReport compatibility).")
    error: int = Field(
        default=0,
        ge=0,
        description="Rules that could not be judged, or a run that gave no result.",
    )
    skip: int = Field(default=0, ge=0, description="Always 0 today (PolicyReport compatibility).")


class NodesSummary(_Written):
    """How the nodes of the latest per-node run fared (``spec.placement.nodes``)."""

    total: int = Field(default=0, ge=0, description="Nodes the run covered.")
    passing: int = Field(default=0, ge=0, description="Nodes where every rule passed.")
    failing: int = Field(
        default=0,
        ge=0,
        description="Nodes with a result other than pass (fail or error); `kubectl get nas -o "
        "wide` shows it as Failing Nodes.",
    )
    failing_nodes: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="The first failing nodes by name; the `ProbeComplete` message names them "
        "too (`2 pass, 1 fail; 1 of 3 nodes failing: b`).",
    )


class NetworkAssertionStatus(_Written):
    """What the operator observed and the latest results."""

    observed_generation: int | None = Field(
        default=None, description="The spec generation the status describes."
    )
    job_name: str | None = Field(
        default=None,
        description=(
            "The Job of the latest run (scheduled: named once its result arrives or it fails)."
        ),
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Standard Kubernetes conditions: `Ready`, `Passing`, `Reconciling`, "
        "`Stalled`, and `Reconciled` for 0.10 users.",
    )
    summary: Summary | None = Field(
        default=None,
        description="Result counts of the latest run (from its PolicyReport), only when that "
        "run was of the current spec generation.",
    )
    last_result_time: str | None = Field(
        default=None, description="When the latest results arrived (RFC 3339)."
    )
    nodes: NodesSummary | None = Field(
        default=None,
        description="Per-node assertions only: how the nodes of the latest run fared (from "
        "the report).",
    )


class NetworkAssertion(BaseModel):
    """The whole resource as read from the API server."""

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, serialize_by_alias=True)

    api_version: Literal["netchecks.io/v1"] = Field(
        default=API_VERSION, description="`netchecks.io/v1`."
    )
    kind: Literal["NetworkAssertion"] = Field(default=KIND, description="`NetworkAssertion`.")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Standard object metadata: name, namespace, labels and annotations "
        "(`netchecks.io/description`, `netchecks.io/controls`, `netchecks.io/severity`, "
        "`netchecks.io/run-now`).",
    )
    spec: NetworkAssertionSpec = Field(
        description="What the network must and must not allow: the rules and when to run them."
    )
    status: NetworkAssertionStatus | None = Field(
        default=None,
        description="What the operator observed and the latest results; written by the operator.",
    )
