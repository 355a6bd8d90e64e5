"""Rule models: one per check type, with the kebab-case field names of compat.md.

A rule is validated *after* its templates are rendered (a templated port is a
string until then), so these models describe a rule as it runs. Fields this
version does not know are kept (``model_extra``) and reported, never dropped.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator


def kebab(name: str) -> str:
    """The wire name of a Python field: ``verify_tls_cert`` -> ``verify-tls-cert``."""
    return name.replace("_", "-")


class Validate(BaseModel):
    """A rule's CEL judgement: ``pattern`` must hold; ``message`` explains it to people."""

    model_config = ConfigDict(extra="forbid")

    pattern: str | None = None
    message: str | None = None


class RuleBase(BaseModel):
    """Fields every rule type shares."""

    model_config = ConfigDict(
        alias_generator=kebab,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )

    #: Timeout in seconds when the rule sets none; each type sets its own.
    DEFAULT_TIMEOUT: ClassVar[float] = 10.0

    name: str | None = None
    type: str
    expected: Literal["pass", "fail"] = "pass"
    validation: str | None = None
    validate_spec: Validate | None = Field(default=None, alias="validate")
    timeout: float | None = Field(default=None, gt=0, le=3600)
    retries: int = Field(default=0, ge=0, le=10)
    retry_delay: float = Field(default=1.0, ge=0, le=300)

    @field_validator("expected", mode="before")
    @classmethod
    def _expected_lowercase(cls, value: Any) -> Any:
        # The old CLI wrote `expected: null` for "should pass"; accept it.
        if value is None:
            return "pass"
        return value.lower() if isinstance(value, str) else value

    @property
    def pattern(self) -> str | None:
        """The CEL rule the user gave: ``validation`` first, else ``validate.pattern``."""
        if self.validation:
            return self.validation
        if self.validate_spec is not None and self.validate_spec.pattern:
            return self.validate_spec.pattern
        return None

    @property
    def message(self) -> str | None:
        """The human message of ``validate.message``, if any."""
        return self.validate_spec.message if self.validate_spec is not None else None

    @property
    def effective_timeout(self) -> float:
        """The timeout that applies: the rule's own, else the type's default."""
        return self.timeout if self.timeout is not None else self.DEFAULT_TIMEOUT

    @property
    def unknown_fields(self) -> list[str]:
        """Names of fields this version does not know (kept, and reported as warnings)."""
        return sorted(self.model_extra or {})


class DnsRule(RuleBase):
    """Resolve ``host`` (with the OS search path when ``server`` is unset)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 10.0
    type: Literal["dns"]
    host: str = Field(min_length=1)
    server: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    record_type: str = "A"
    source_ip: str | None = None
    search: bool = True

    @field_validator("record_type")
    @classmethod
    def _known_record_type(cls, value: str) -> str:
        upper = value.upper()
        if upper not in DNS_RECORD_TYPES:
            raise ValueError(f"must be one of {', '.join(DNS_RECORD_TYPES)}")
        return upper


DNS_RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "PTR", "SOA", "CAA")


class HttpRule(RuleBase):
    """Send one HTTP request to ``url``."""

    DEFAULT_TIMEOUT: ClassVar[float] = 30.0
    type: Literal["http"]
    url: str = Field(min_length=1)
    method: str = "get"
    headers: dict[str, str] | None = None
    body: str | None = None
    verify_tls_cert: bool = True
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    follow_redirects: bool = True
    max_body_bytes: int = Field(default=1024 * 1024, ge=0)
    source_ip: str | None = None

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        lower = value.lower()
        if lower not in HTTP_METHODS:
            raise ValueError(f"must be one of {', '.join(HTTP_METHODS)}")
        return lower


HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


class TcpRule(RuleBase):
    """Open a TCP connection to ``host:port``, optionally exchanging a banner."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["tcp"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    send: str | None = None
    expect: str | None = None
    source_ip: str | None = None


class InternalRule(RuleBase):
    """A check that observes nothing: its CEL rule judges context data."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["internal"]


class PostgresRule(RuleBase):
    """Run one SQL statement against a PostgreSQL server."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["postgres"]
    dsn: str = Field(min_length=1)
    query: str = Field(min_length=1)
    params: list[Any] | dict[str, Any] | None = None
    read_only: bool = True
    rollback: bool = True
    row_limit: int = Field(default=100, ge=0, le=10_000)


class RoleSelector(BaseModel):
    """Which roles a grants rule is about."""

    model_config = ConfigDict(alias_generator=kebab, validate_by_name=True, extra="forbid")

    names: list[str] | None = None
    login: bool | None = None
    member_of: list[str] | None = None
    exclude_member_of: list[str] | None = None
    exclude: list[str] | None = None
    include_system_roles: bool = False


class ObjectSelector(BaseModel):
    """Which objects a grants rule is about; ``["*"]`` means all."""

    model_config = ConfigDict(alias_generator=kebab, validate_by_name=True, extra="forbid")

    type: Literal["database", "schema", "table", "sequence", "function"]
    schemas: list[str] | None = None
    names: list[str] | None = None


class GrantRule(BaseModel):
    """``deny``: no selected role may hold the privileges; ``require``: every one must."""

    model_config = ConfigDict(alias_generator=kebab, validate_by_name=True, extra="forbid")

    name: str = Field(min_length=1)
    mode: Literal["deny", "require"]
    roles: RoleSelector = Field(default_factory=RoleSelector)
    objects: ObjectSelector
    privileges: list[str] = Field(min_length=1)


class PostgresGrantsRule(RuleBase):
    """Assert the effective privileges of roles on database objects."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["postgres-grants"]
    dsn: str = Field(min_length=1)
    rules: list[GrantRule] = Field(min_length=1)


Rule = Annotated[
    DnsRule | HttpRule | TcpRule | InternalRule | PostgresRule | PostgresGrantsRule,
    Field(discriminator="type"),
]
RULE_TYPES: tuple[str, ...] = ("dns", "http", "tcp", "internal", "postgres", "postgres-grants")
RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)

#: Spec and data fields replaced by "REDACTED" in results unless redaction is off.
REDACTED_FIELDS = frozenset({"headers", "dsn", "password", "params", "connection"})
REDACTED = "REDACTED"
