"""The probe output document: what the probe prints and the results service reads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from netchecks_core.output_document import OUTPUT_TYPE as OUTPUT_TYPE
from netchecks_core.output_document import OUTPUT_VERSION as OUTPUT_VERSION

#: A rule's verdict in the probe output.
RuleStatus = Literal["pass", "fail", "error"]


class RuleResult(BaseModel):
    """The verdict of one rule (after ``expected``) with what was run and observed."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    spec: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    status: RuleStatus
    message: str | None = None


class AssertionResult(BaseModel):
    """The results of one assertion's rules, in config order."""

    model_config = ConfigDict(extra="allow")

    name: str
    results: list[RuleResult]


#: camelCase wire names, snake_case in Python.
_WIRE = ConfigDict(
    extra="allow", alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True
)


class OutputMetadata(BaseModel):
    """When and by which probe version the document was made."""

    model_config = _WIRE

    creation_timestamp: str
    version: str


class ProbeOutput(BaseModel):
    """The whole output document."""

    model_config = _WIRE

    type: Literal["netcheck-output"] = OUTPUT_TYPE
    output_version: str = OUTPUT_VERSION
    metadata: OutputMetadata
    assertions: list[AssertionResult]

    def counts(self) -> dict[str, int]:
        """Results by status, every status present (zero when unused)."""
        counts = {"pass": 0, "fail": 0, "error": 0}
        for assertion in self.assertions:
            for result in assertion.results:
                counts[result.status] += 1
        return counts
