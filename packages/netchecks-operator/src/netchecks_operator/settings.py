"""Operator settings from the environment (``NETCHECKS_*`` and the names of existing installs)."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from netchecks_service.settings import ServiceSettings
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode

from netchecks_operator import __version__
from netchecks_operator.plan_model import PlanSettings


class ProbeResources(BaseModel):
    """Requests and limits of the probe container (Kubernetes quantities)."""

    model_config = ConfigDict(extra="forbid")

    requests: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)

    @field_validator("requests", "limits", mode="before")
    @classmethod
    def _quantities_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


#: Small but set: namespaces with a ResourceQuota refuse Pods without requests and limits.
DEFAULT_PROBE_RESOURCES = ProbeResources(
    requests={"cpu": "50m", "memory": "64Mi"},
    limits={"cpu": "500m", "memory": "256Mi"},
)


def _json_text(value: Any, expected: str) -> Any:
    """``value`` decoded when it is text (empty text: ``{}``); ``expected`` says what it must be."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value) if value.strip() else {}
    except ValueError as error:
        raise ValueError(f"must be {expected}: {error}") from error


def _env(name: str) -> AliasChoices:
    # The prefixed name first, then the unprefixed one existing installs set.
    return AliasChoices(f"NETCHECKS_{name}", name)


class OperatorSettings(ServiceSettings):
    """Everything the operator reads from its environment."""

    DEFAULT_LEASE_NAME: ClassVar[str] = "netchecks-operator"

    #: Health and metrics address; ``OPERATOR_HTTP_ADDR`` is what existing installs set.
    http_addr: str = Field(
        default="0.0.0.0:8080",
        validation_alias=AliasChoices("NETCHECKS_HTTP_ADDR", "OPERATOR_HTTP_ADDR"),
    )
    #: Image of the probe Pods (any registry); the tag defaults to the operator's version.
    probe_image_repository: str = Field(
        default="ghcr.io/netchecks/netchecks-probe",
        min_length=1,
        validation_alias=_env("PROBE_IMAGE_REPOSITORY"),
    )
    probe_image_tag: str = Field(
        default=__version__, min_length=1, validation_alias=_env("PROBE_IMAGE_TAG")
    )
    probe_image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        default="IfNotPresent", validation_alias=_env("PROBE_IMAGE_PULL_POLICY")
    )
    #: JSON ``{"requests": {...}, "limits": {...}}`` for the probe container.
    probe_resources: Annotated[ProbeResources, NoDecode] = Field(
        default=DEFAULT_PROBE_RESOURCES, validation_alias=_env("PROBE_RESOURCES")
    )
    #: JSON Pod template merged under every assertion's ``spec.template`` (the assertion
    #: wins): cluster-wide probe defaults such as ``imagePullSecrets``, ``tolerations``,
    #: ``nodeSelector`` and annotations, set by the Helm chart's ``probe`` values.
    probe_pod_defaults: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict, validation_alias=_env("PROBE_POD_DEFAULTS")
    )
    #: PolicyReport API the results service writes (the operator reads its summary).
    policy_report_api_version: Literal[
        "wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io/v1beta1", "openreports.io/v1alpha1"
    ] = "wgpolicyk8s.io/v1alpha2"
    #: Finished one-shot and run-now Jobs are deleted as soon as the report shows their
    #: run; one whose result is never taken is deleted this long after finishing (a
    #: day: room for a results service outage without losing the run).
    job_ttl_seconds: int = Field(default=86400, ge=300)
    #: A scheduled run that could not start within this many seconds is skipped.
    starting_deadline_seconds: int = Field(default=300, ge=10)
    #: Seconds added to the rules' longest timeout for a run's ``activeDeadlineSeconds``.
    run_deadline_margin: int = Field(default=120, ge=10)
    #: Retries of a probe Pod that crashed (a failing check is not a crash).
    job_backoff_limit: int = Field(default=2, ge=0, le=10)
    #: Watch Nodes (list and watch, cluster-wide) for ``spec.placement.nodes``. Off (no
    #: RBAC for Nodes): per-node assertions say the operator cannot list Nodes.
    watch_nodes: bool = True

    @field_validator("probe_resources", mode="before")
    @classmethod
    def _resources_json(cls, value: Any) -> Any:
        return _json_text(value, 'JSON like {"requests": {"cpu": "50m"}}')

    @field_validator("probe_pod_defaults", mode="before")
    @classmethod
    def _pod_defaults_json(cls, value: Any) -> Any:
        value = _json_text(value, 'a JSON Pod template like {"spec": {"tolerations": []}}')
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"metadata", "spec"})
            if unknown:
                raise ValueError(
                    f"unknown field(s) {', '.join(unknown)} (a Pod template has metadata and spec)"
                )
        return value

    @property
    def probe_image(self) -> str:
        """``repository:tag`` (or ``repository@digest``)."""
        joiner = "@" if self.probe_image_tag.startswith("sha256:") else ":"
        return f"{self.probe_image_repository}{joiner}{self.probe_image_tag}"

    def plan_settings(self) -> PlanSettings:
        """The part of these settings that planning reads."""
        return PlanSettings(
            probe_image=self.probe_image,
            probe_image_pull_policy=self.probe_image_pull_policy,
            probe_resources=self.probe_resources.model_dump(exclude_defaults=False),
            probe_pod_defaults=self.probe_pod_defaults,
            job_backoff_limit=self.job_backoff_limit,
            run_deadline_margin=self.run_deadline_margin,
            starting_deadline_seconds=self.starting_deadline_seconds,
            job_ttl_seconds=self.job_ttl_seconds,
        )
