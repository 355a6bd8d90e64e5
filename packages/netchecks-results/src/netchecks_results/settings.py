"""Settings of the results service, from the environment (``NETCHECKS_*``), validated at start."""

from __future__ import annotations

from typing import ClassVar

from netchecks_core.policyreport import DEFAULT_REPORT_API, REPORT_APIS
from netchecks_core.resources import Resource
from netchecks_service.settings import CommaList, ServiceSettings
from pydantic import AliasChoices, Field, field_validator

from netchecks_results.report import ReportLimits


class ResultsSettings(ServiceSettings):
    """What the results service reads from its environment."""

    DEFAULT_LEASE_NAME: ClassVar[str] = "netchecks-results"

    #: Report APIs to write (comma-separated ``group/version``): ``wgpolicyk8s.io/v1alpha2``
    #: is what Policy Reporter reads; ``wgpolicyk8s.io/v1beta1`` is what Netchecks 0.10
    #: wrote; ``openreports.io/v1alpha1`` is the successor API. v1alpha2 and v1beta1 are
    #: the same resource, so at most one of them.
    report_apis: CommaList = Field(default_factory=lambda: [DEFAULT_REPORT_API.api_version])
    #: Only the last this many bytes of a probe log are read (the result is at its end).
    log_max_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    #: Reads of a log that fail (e.g. kubelet unreachable) before the run is reported
    #: as an error; each retry waits longer.
    log_read_attempts: int = Field(default=5, ge=1, le=50)
    #: Bound of each ``spec``/``data`` property (bytes of JSON text).
    max_property_bytes: int = Field(default=4096, ge=256, le=256 * 1024)
    #: Bound of each result message (characters).
    max_message_chars: int = Field(default=1024, ge=64, le=16 * 1024)
    #: Results per report at most (the summary still counts every rule). Netchecks
    #: 0.10's ``POLICY_REPORT_MAX_RESULTS`` sets it too (``NETCHECKS_MAX_RESULTS`` wins).
    max_results: int = Field(
        default=500,
        ge=1,
        le=10_000,
        validation_alias=AliasChoices("NETCHECKS_MAX_RESULTS", "POLICY_REPORT_MAX_RESULTS"),
    )
    #: Bytes per report at most; the API server refuses objects over ~1.5 MiB.
    max_report_bytes: int = Field(default=256 * 1024, ge=16 * 1024, le=1024 * 1024)
    #: Series of the per-rule result gauge at most (bounds metric cardinality).
    max_rule_series: int = Field(default=10_000, ge=0)
    #: Post Events on assertions when their outcome changes.
    events: bool = True

    @field_validator("report_apis")
    @classmethod
    def _known_apis(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one report API")
        unknown = [v for v in value if v not in REPORT_APIS]
        if unknown:
            raise ValueError(f"unknown report API {unknown[0]!r} (known: {', '.join(REPORT_APIS)})")
        groups = [REPORT_APIS[v].group for v in value]
        if len(set(groups)) != len(groups):
            raise ValueError("name one version per API group (they are the same resource)")
        return value

    @property
    def apis(self) -> list[Resource]:
        """The report APIs written."""
        return [REPORT_APIS[v] for v in self.report_apis]

    @property
    def limits(self) -> ReportLimits:
        """The size bounds of each report."""
        return ReportLimits(
            max_property_bytes=self.max_property_bytes,
            max_message_chars=self.max_message_chars,
            max_results=self.max_results,
            max_report_bytes=self.max_report_bytes,
        )
