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


class NetworkAssertionSpec(_Camel):
    """What the network must and must not allow."""

    rules: list[dict[str, Any]] = Field(min_length=1)
    schedule: str | None = None
    context: list[AssertionContext] = Field(default_factory=list)
    template: dict[str, Any] | None = None
    disable_redaction: bool = False

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


class NetworkAssertionStatus(_Written):
    """What the operator observed and the latest results."""

    observed_generation: int | None = None
    job_name: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    summary: Summary | None = None
    last_result_time: str | None = None


class NetworkAssertion(BaseModel):
    """The whole resource as read from the API server."""

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, serialize_by_alias=True)

    api_version: Literal["netchecks.io/v1"] = API_VERSION
    kind: Literal["NetworkAssertion"] = KIND
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: NetworkAssertionSpec
    status: NetworkAssertionStatus | None = None
