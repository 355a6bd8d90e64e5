"""Settings every service shares, from the environment (prefix ``NETCHECKS_``).

Subclass :class:`ServiceSettings` per service and build it once with
:func:`load_settings`, which turns validation errors into one clear message
naming each variable.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from netchecks_service.errors import SettingsError
from netchecks_service.health import parse_http_addr


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


#: A list set as comma-separated text (``a, b``); empty parts are dropped.
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_list)]

_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def _default_namespace() -> str:
    if env := os.environ.get("POD_NAMESPACE"):
        return env
    try:
        return _SA_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


def _default_identity() -> str:
    # Pod name (the hostname in a Pod) plus a random part: a restarted Pod is a new candidate.
    return f"{os.environ.get('POD_NAME') or socket.gethostname()}-{uuid.uuid4().hex[:8]}"


class ServiceSettings(BaseSettings):
    """What every netchecks service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NETCHECKS_", extra="ignore")

    #: Health and metrics listen here (HOST:PORT).
    http_addr: str = "0.0.0.0:8080"
    #: Log level of the service's own loggers.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: JSON lines for log collectors; ``text`` for people at a terminal.
    log_format: Literal["json", "text"] = "json"
    #: Namespaces to watch (comma-separated); empty means all namespaces.
    namespaces: CommaList = Field(default_factory=list)
    #: Campaign for a Lease so only one replica works at a time.
    leader_election: bool = True
    #: Namespace of the Lease: the Pod's own namespace by default.
    lease_namespace: str = Field(default_factory=_default_namespace)
    #: This replica's identity in the Lease.
    identity: str = Field(default_factory=_default_identity)
    #: Seconds a Lease is valid without renewal (client-go's default).
    lease_duration: float = Field(default=15.0, gt=1)
    #: A leader that cannot renew within this many seconds steps down.
    renew_deadline: float = Field(default=10.0, gt=0.5)
    #: Seconds between Lease attempts.
    retry_period: float = Field(default=2.0, gt=0.05)
    #: Server-side timeout of each watch request; watches resume after it.
    watch_timeout: int = Field(default=300, ge=5, le=3600)
    #: Safety-net resync of every object (seconds); events drive everything else.
    resync_period: float = Field(default=3600.0, ge=10)
    #: Explicit kubeconfig path (else in-cluster, else ``KUBECONFIG``).
    kubeconfig: str | None = None
    #: Worker threads: enough to overlap slow API calls, few enough to stay small.
    workers: int = Field(default=4, ge=1, le=64)
    #: Name of the Lease replicas campaign for; empty means the service's own
    #: (:attr:`DEFAULT_LEASE_NAME`), so two services in one namespace never share one.
    lease_name: str = ""

    #: The Lease of this service when ``lease_name`` is not set.
    DEFAULT_LEASE_NAME: ClassVar[str] = "netchecks"

    @field_validator("http_addr")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_http_addr(value)
        return value

    @field_validator("renew_deadline")
    @classmethod
    def _deadline_below_duration(cls, value: float, info: Any) -> float:
        duration = info.data.get("lease_duration")
        if duration is not None and value >= duration:
            raise ValueError("must be less than the lease duration")
        return value

    @model_validator(mode="after")
    def _own_lease(self) -> Self:
        if not self.lease_name:
            self.lease_name = self.DEFAULT_LEASE_NAME
        return self


S = TypeVar("S", bound=BaseSettings)


def _env_name(settings_cls: type[BaseSettings], field: str) -> str:
    """The variable an error is about; ``field`` is a field's name or the alias it was set by."""
    info = settings_cls.model_fields.get(field)
    if info is None:  # an alias: the very variable that was set
        return field.upper()
    alias = getattr(info, "validation_alias", None) if info else None
    choices = getattr(alias, "choices", None)
    if choices:
        return " or ".join(str(c).upper() for c in choices)
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(settings_cls.model_config.get("env_prefix") or "")
    return f"{prefix}{field}".upper()


def load_settings(settings_cls: type[S], **overrides: Any) -> S:
    """Build settings from the environment; :class:`SettingsError` names each bad variable."""
    try:
        return settings_cls(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = [str(part) for part in item["loc"]]
            name = _env_name(settings_cls, loc[0]) if loc else "settings"
            where = name + "".join(f"[{p}]" for p in loc[1:])
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message} (got {item.get('input')!r})")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from error
