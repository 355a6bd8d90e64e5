"""The probe config document: what ``netchecks run --config FILE`` reads.

Rules stay raw dicts here: each is rendered (templates) and then validated on
its own as a :data:`netchecks_core.rules.Rule`, so one bad rule fails that rule,
not the whole config.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from netchecks_core.runnable import RESERVED_CONTEXT_NAMES as RESERVED_CONTEXT_NAMES


def _not_reserved(value: str) -> str:
    if value in RESERVED_CONTEXT_NAMES:
        raise ValueError(f"context name {value!r} is reserved (it is a CEL result variable)")
    return value


#: A context's name: any name but the CEL result variables.
ContextName = Annotated[str, AfterValidator(_not_reserved)]


class _ContextBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ContextName = Field(
        min_length=1,
        description="The name templates and CEL rules use for this data (not `data` or `spec`).",
    )
    secret: bool = Field(
        default=False,
        description="The data is secret (as from a Kubernetes Secret): its values are "
        "redacted wherever they appear in results (default false).",
    )


class InlineContext(_ContextBase):
    """Data given in the config itself; its strings may hold templates."""

    type: Literal["inline"] = Field(description="`inline`: the data is given here.")
    data: Any = Field(
        default=None,
        description="Any JSON or YAML data; its strings may hold templates of earlier contexts.",
    )


class FileContext(_ContextBase):
    """A JSON or YAML file."""

    type: Literal["file"] = Field(description="`file`: the data is read from a file.")
    path: str = Field(
        min_length=1, description="The JSON or YAML file (relative to the working directory)."
    )


class DirectoryContext(_ContextBase):
    """A directory (such as a mounted ConfigMap): each file is a key, its text the value."""

    type: Literal["directory"] = Field(
        description="`directory`: each file of a directory is a key."
    )
    path: str = Field(
        min_length=1,
        description="The directory, e.g. a mounted ConfigMap (relative to the working directory).",
    )


#: A probe config context: one of the types, told apart by ``type``.
Context = Annotated[InlineContext | FileContext | DirectoryContext, Field(discriminator="type")]


class AssertionConfig(BaseModel):
    """A named group of rules."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, description="Names the assertion in the output.")
    rules: list[dict[str, Any]] = Field(
        description="The checks to run; each gives one result. String fields may hold "
        "`{{ expression }}` templates of the contexts; a field that is one whole template "
        "takes the type of its value."
    )


class ProbeConfig(BaseModel):
    """The whole probe config file."""

    model_config = ConfigDict(extra="allow")

    assertions: list[AssertionConfig] = Field(description="Named groups of rules.")
    contexts: list[Context] = Field(
        default_factory=list,
        description="Named data for templates and CEL rules, read in order (a context's "
        "templates may use the contexts before it).",
    )

    @model_validator(mode="after")
    def _unique_context_names(self) -> ProbeConfig:
        seen: set[str] = set()
        for context in self.contexts:
            if context.name in seen:
                raise ValueError(f"context name {context.name!r} is used twice")
            seen.add(context.name)
        return self
