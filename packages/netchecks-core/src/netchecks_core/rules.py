"""Rule models: one per check type, with the kebab-case field names of compat.md.

A rule is validated *after* its templates are rendered (a templated port is a
string until then), so these models describe a rule as it runs. A field this
version does not know is refused: a misspelt ``validaton`` must not quietly
leave the rule on its default judgement.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

# The plain values and parsers, shared with the lean run path (re-exported from here).
from netchecks_core.runnable import DNS_RECORD_TYPES as DNS_RECORD_TYPES
from netchecks_core.runnable import HTTP_METHODS as HTTP_METHODS
from netchecks_core.runnable import MAX_BODY_BYTES as MAX_BODY_BYTES
from netchecks_core.runnable import REDACTED as REDACTED
from netchecks_core.runnable import REDACTED_FIELDS as REDACTED_FIELDS
from netchecks_core.runnable import (
    RuleJudgement,
    blank_statement,
    dns_ports_disagree,
    ip_address_text,
    kebab,
)
from netchecks_core.runnable import parse_dns_server as parse_dns_server

#: ``source-ip``: the local address outgoing packets leave from.
SourceIp = Annotated[
    str | None,
    AfterValidator(ip_address_text),
    Field(description="Local IP address the traffic leaves from (default: the OS chooses)."),
]


def _kebab_config(extra: Literal["allow", "forbid"]) -> ConfigDict:
    """Models whose wire names are kebab-case, read by either name, written kebab-case."""
    return ConfigDict(
        alias_generator=kebab,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra=extra,
    )


#: What a rule's ``type`` field means (each type's model narrows it to its own name).
RULE_TYPE_DESCRIPTION = (
    "The check to run: `dns`, `http`, `tcp`, `internal`, `postgres` or `postgres-grants`."
)


class Validate(BaseModel):
    """A rule's CEL judgement: ``pattern`` must hold; ``message`` explains it to people."""

    model_config = ConfigDict(extra="forbid")

    pattern: str | None = Field(
        default=None,
        description="The CEL rule that must hold, as `validation` (which takes precedence).",
    )
    message: str | None = Field(
        default=None, description="Shown in the result when the rule does not hold."
    )


class RuleBase(BaseModel, RuleJudgement):
    """Fields every rule type shares."""

    model_config = _kebab_config(extra="forbid")

    #: Timeout in seconds when the rule sets none; each type sets its own.
    DEFAULT_TIMEOUT: ClassVar[float] = 10.0

    name: str | None = Field(
        default=None,
        description="Names the rule's result (the PolicyReport's `rule`); literal, never a "
        "template. A name an earlier rule uses is accepted, as 0.10 did, with a warning from "
        "`netchecks validate`; its results are named `NAME#2`, `NAME#3`, ... (the smallest "
        "number no other rule uses).",
    )
    type: str = Field(description=RULE_TYPE_DESCRIPTION)
    expected: Literal["pass", "fail"] = Field(
        default="pass",
        description="`pass` (default) or `fail`: `fail` swaps pass and fail, for a check that "
        "is meant to be blocked. An `error` (the rule could not be judged) stays an `error`.",
    )
    validation: str | None = Field(
        default=None,
        description="The CEL rule that must hold for the check to pass; takes precedence over "
        "`validate.pattern`. Without either, the type's default rule applies.",
    )
    validate_spec: Validate | None = Field(
        default=None,
        alias="validate",
        description="The CEL rule (`pattern`) with a `message` for people.",
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="Seconds the check may take (more than 0, at most 3600). Default per "
        "type: dns 10, http 30, tcp 5, internal 5, postgres 5, postgres-grants 5.",
    )
    retries: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Run the check again, up to this many times (0 to 10, default 0), while "
        "its verdict is not `pass`; the last attempt counts and `data.attempts` says how many "
        "were made.",
    )
    retry_delay: float = Field(
        default=1.0, ge=0, le=300, description="Seconds between attempts (0 to 300, default 1)."
    )

    @field_validator("expected", mode="before")
    @classmethod
    def _expected_lowercase(cls, value: Any) -> Any:
        # The old CLI wrote `expected: null` for "should pass"; accept it.
        if value is None:
            return "pass"
        return value.lower() if isinstance(value, str) else value


class DnsRule(RuleBase):
    """Resolve ``host`` (with the OS search path when ``server`` is unset)."""

    DEFAULT_TIMEOUT: ClassVar[float] = 10.0
    type: Literal["dns"] = Field(description=RULE_TYPE_DESCRIPTION)
    host: str = Field(
        min_length=1,
        description="Required. The name to resolve (for `PTR`, an IP address works too).",
    )
    server: str | None = Field(
        default=None,
        description="`IP`, `IP:port` or `[IPv6]:port` of the DNS server to ask (default: the "
        "Pod's resolver, from `/etc/resolv.conf`).",
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port of `server` (1 to 65535, default 53); or give it in `server`.",
    )
    record_type: str = Field(
        default="A",
        description="`A` (default), `AAAA`, `CNAME`, `MX`, `TXT`, `SRV`, `NS`, `PTR`, `SOA` "
        "or `CAA`.",
    )
    source_ip: SourceIp = None
    search: bool = Field(
        default=True,
        description="Apply the resolver's search domains to relative names (default true).",
    )

    @field_validator("record_type")
    @classmethod
    def _known_record_type(cls, value: str) -> str:
        upper = value.upper()
        if upper not in DNS_RECORD_TYPES:
            raise ValueError(f"must be one of {', '.join(DNS_RECORD_TYPES)}")
        return upper

    @field_validator("server")
    @classmethod
    def _server_form(cls, value: str | None) -> str | None:
        if value is not None:
            parse_dns_server(value)
        return value

    @model_validator(mode="after")
    def _one_port(self) -> DnsRule:
        if dns_ports_disagree(self.server, self.port):
            raise ValueError(f"server {self.server!r} and port {self.port} disagree")
        return self


class HttpRule(RuleBase):
    """Send one HTTP request to ``url``."""

    DEFAULT_TIMEOUT: ClassVar[float] = 30.0
    type: Literal["http"] = Field(description=RULE_TYPE_DESCRIPTION)
    url: str = Field(
        min_length=1, description="Required. The `http://` or `https://` URL to request."
    )
    method: str = Field(
        default="get",
        description="`get` (default), `head`, `post`, `put`, `patch`, `delete` or `options`.",
    )
    headers: dict[str, str] | None = Field(
        default=None,
        description="Request headers, name to value (values may contain `:`); shown as "
        "`REDACTED` in results unless redaction is off.",
    )
    body: str | None = Field(default=None, description="The request body, as text.")
    verify_tls_cert: bool = Field(
        default=True,
        description="Verify the server's certificate (default true). With false, `data.tls` "
        "still describes it.",
    )
    ca_bundle: str | None = Field(
        default=None,
        description="Path of a PEM file (or a directory) of the CAs to trust, e.g. from a "
        "ConfigMap context: `/mnt/ca/ca.crt` (default: `REQUESTS_CA_BUNDLE` or "
        "`CURL_CA_BUNDLE` when set, else the Mozilla CA list of `certifi`, as the 0.10 "
        "probe did).",
    )
    client_cert: str | None = Field(
        default=None, description="Path of a PEM client certificate, for mutual TLS."
    )
    client_key: str | None = Field(
        default=None, description="Path of the PEM key of `client-cert`."
    )
    follow_redirects: bool = Field(
        default=True, description="Follow redirects, at most 30 (default true)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        le=MAX_BODY_BYTES,
        description="Bytes of the response body to keep (default 1048576, at most 2097152: "
        "results must fit the probe's bounded output). The body is streamed and decompressed "
        "a chunk at a time, so a bigger (or gzip-bombed) response costs no more memory.",
    )
    source_ip: SourceIp = None

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        lower = value.lower()
        if lower not in HTTP_METHODS:
            raise ValueError(f"must be one of {', '.join(HTTP_METHODS)}")
        return lower


class TcpRule(RuleBase):
    """Open a TCP connection to ``host:port``, optionally exchanging a banner."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["tcp"] = Field(description=RULE_TYPE_DESCRIPTION)
    host: str = Field(min_length=1, description="Required. Host name or IP address to connect to.")
    port: int = Field(
        ge=1,
        le=65535,
        description="Required. Port to connect to, 1 to 65535 (a template such as "
        '`"{{ db.port }}"` works).',
    )
    send: str | None = Field(default=None, description="Text to send once connected.")
    expect: str | None = Field(
        default=None, description="Text the server's reply (its banner) must contain."
    )
    source_ip: SourceIp = None


class InternalRule(RuleBase):
    """A check that observes nothing: its CEL rule judges context data."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["internal"] = Field(description=RULE_TYPE_DESCRIPTION)


#: A PostgreSQL connection (``postgres`` and ``postgres-grants`` rules).
Dsn = Annotated[
    str,
    Field(
        min_length=1,
        description="Required. libpq connection string or URL; take the password from a "
        "Secret context. Never shown in results.",
    ),
]


class PostgresRule(RuleBase):
    """Run one SQL statement against a PostgreSQL server, in a transaction rolled back by default.

    ``timeout`` bounds both the connection and the statement (``statement_timeout``).
    """

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["postgres"] = Field(description=RULE_TYPE_DESCRIPTION)
    dsn: Dsn
    query: str = Field(
        min_length=1,
        description="Required. One SQL statement (several are refused before any runs).",
    )
    params: list[Any] | dict[str, Any] | None = Field(
        default=None,
        description="Query parameters: a list for `%s` placeholders, a map for `%(name)s`.",
    )
    read_only: bool = Field(
        default=True, description="Run in a read-only transaction (default true)."
    )
    rollback: bool = Field(
        default=True,
        description="Roll the transaction back at the end (default true; false commits).",
    )
    row_limit: int = Field(
        default=100,
        ge=0,
        le=10_000,
        description="Rows kept in `data.rows` (0 to 10000, default 100).",
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if blank_statement(value):
            raise ValueError("must hold one SQL statement")
        return value


#: Privileges each object type can be asked about, as ``has_*_privilege`` names them.
#: ``TEMP`` is PostgreSQL's alias of ``TEMPORARY``; ``MAINTAIN`` exists from PostgreSQL 17.
GRANT_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "database": ("CONNECT", "CREATE", "TEMPORARY", "TEMP"),
    "schema": ("USAGE", "CREATE"),
    "table": (
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
        "MAINTAIN",
    ),
    "sequence": ("USAGE", "SELECT", "UPDATE"),
    "function": ("EXECUTE",),
}
#: What ``ALL`` (or ``ALL PRIVILEGES``) stands for: every privilege of every supported server.
ALL_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "database": ("CONNECT", "CREATE", "TEMPORARY"),
    "schema": ("USAGE", "CREATE"),
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "sequence": ("USAGE", "SELECT", "UPDATE"),
    "function": ("EXECUTE",),
}
GrantObjectType = Literal["database", "schema", "table", "sequence", "function"]


def _one_or_many(value: Any) -> Any:
    # `names: app` is as clear as `names: [app]`; accept both.
    return [value] if isinstance(value, str) else value


NameList = Annotated[list[str], BeforeValidator(_one_or_many)]


class _SelectorBase(BaseModel):
    model_config = _kebab_config(extra="forbid")


class RoleSelector(_SelectorBase):
    """Which roles a grants rule is about; every condition given must hold.

    ``names`` (unset, empty or ``["*"]``: all roles), ``login`` (only roles that can, or
    cannot, log in), ``member-of`` (members of *every* listed role, directly or
    through other roles; a role counts as a member of itself), ``exclude-member-of``
    (not a member of *any* listed role), ``exclude`` (these names), and
    ``include-system-roles`` (the ``pg_*`` roles are left out unless true).
    """

    names: NameList | None = Field(
        default=None, description="Role names, one or a list (unset, empty or `*`: all roles)."
    )
    login: bool | None = Field(
        default=None, description="Only roles that can (true) or cannot (false) log in."
    )
    member_of: NameList | None = Field(
        default=None,
        description="Only members of every listed role, directly or through other roles (a "
        "role counts as a member of itself).",
    )
    exclude_member_of: NameList | None = Field(
        default=None, description="Leave out members of any listed role."
    )
    exclude: NameList | None = Field(default=None, description="Role names to leave out.")
    include_system_roles: bool = Field(
        default=False, description="Include the `pg_*` roles (default false)."
    )


class ObjectSelector(_SelectorBase):
    """Which objects a grants rule is about.

    ``schemas`` and ``names`` unset, empty or holding ``"*"`` mean all. System schemas
    (``pg_*``, ``information_schema``) are left out unless named in ``schemas``
    (or, for ``schema`` objects, in ``names``). ``table`` covers tables, views,
    materialized views, partitioned and foreign tables. For ``schema`` objects,
    ``schemas`` filters by name like ``names``.
    """

    type: GrantObjectType = Field(
        description="Required. `database`, `schema`, `table` (also views, materialized "
        "views, partitioned and foreign tables), `sequence` or `function`."
    )
    schemas: NameList | None = Field(
        default=None,
        description="Schemas to look in, one or a list (unset, empty or `*`: all but the "
        "system schemas `pg_*` and `information_schema`, which count only when named). Not "
        "for `database` objects.",
    )
    names: NameList | None = Field(
        default=None, description="Object names, one or a list (unset, empty or `*`: all)."
    )

    @field_validator("type", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _schemas_apply(self) -> ObjectSelector:
        if self.type == "database" and self.schemas:
            raise ValueError("schemas does not apply to database objects (use names)")
        return self


class GrantRule(_SelectorBase):
    """``deny``: no selected role may hold any listed privilege on a selected object;
    ``require``: every selected role must hold every one (an object or role named
    explicitly that does not exist is then a violation too).
    """

    name: str | None = Field(default=None, description="Names the grants rule in violations.")
    mode: Literal["deny", "require"] = Field(
        default="deny",
        description="`deny` (default): no selected role may hold a listed privilege; "
        "`require`: every selected role must hold all of them.",
    )
    roles: RoleSelector = Field(
        default_factory=RoleSelector,
        description="Which roles; every condition given must hold (default: all roles but "
        "the `pg_*` ones).",
    )
    objects: ObjectSelector = Field(description="Required. Which objects.")
    privileges: NameList = Field(
        min_length=1,
        description="Required. Privileges, one or a list: e.g. `SELECT`, `INSERT`, `USAGE`, "
        "`CONNECT`, or `ALL`.",
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _privileges_fit_object_type(self) -> GrantRule:
        object_type = self.objects.type
        known = GRANT_PRIVILEGES[object_type]
        wanted: list[str] = []
        for raw in self.privileges:
            privilege = " ".join(raw.upper().split())
            expanded = (
                ALL_PRIVILEGES[object_type]
                if privilege in ("ALL", "ALL PRIVILEGES")
                else (privilege,)
            )
            for item in expanded:
                if item not in known:
                    raise ValueError(
                        f"privileges: {raw!r} is not a privilege of {object_type} objects"
                        f" (known: {', '.join(known)}, ALL)"
                    )
                if item not in wanted:
                    wanted.append(item)
        self.privileges = wanted
        return self


class PostgresGrantsRule(RuleBase):
    """Assert the effective privileges of roles on database objects."""

    DEFAULT_TIMEOUT: ClassVar[float] = 5.0
    type: Literal["postgres-grants"] = Field(description=RULE_TYPE_DESCRIPTION)
    dsn: Dsn
    rules: list[GrantRule] = Field(
        min_length=1, description="Required. The grants rules; each is checked with one query."
    )


#: Any rule: one of the rule models, told apart by ``type``.
Rule = Annotated[
    DnsRule | HttpRule | TcpRule | InternalRule | PostgresRule | PostgresGrantsRule,
    Field(discriminator="type"),
]
#: The rule types, as ``type`` names them.
RULE_TYPES: tuple[str, ...] = ("dns", "http", "tcp", "internal", "postgres", "postgres-grants")
RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)
#: The model of each rule type.
RULE_MODELS: dict[str, type[RuleBase]] = {
    "dns": DnsRule,
    "http": HttpRule,
    "tcp": TcpRule,
    "internal": InternalRule,
    "postgres": PostgresRule,
    "postgres-grants": PostgresGrantsRule,
}
