"""The ``postgres-grants`` check: assert roles' *effective* privileges on objects.

PostgreSQL's ``has_*_privilege`` functions answer whether a role may do
something, counting grants through role membership and to ``PUBLIC`` (and
superusers, who may do everything). Each grants rule is one SQL statement that
selects the roles and objects, crosses them with the privileges inside the
server and returns only the violations (at most :data:`MAX_LISTED` of them in
total, with exact counts): a constant number of round trips per rule, however
many roles and objects there are. Everything runs in one read-only transaction.

``data``: ``success`` (the rules could be evaluated), ``rule-count``,
``violations`` (``rule``, ``role``, ``object-type``, ``schema``, ``object``,
``privilege``, ``expected``, and ``identity``, the object's qualified name),
``violation-count``, ``violations-truncated``, ``pair-count`` (role x object x
privilege pairs evaluated), ``elapsed-seconds``, and ``rule-results``, one entry
per rule with its counts and the explicitly named roles and objects it did not
find (in ``require`` mode each of those is a violation too: a missing table
does not satisfy a requirement).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from netchecks_core.rules import GrantRule
from netchecks_core.runnable import RunnablePostgresGrants
from psycopg import sql

from netchecks_probe.checks import pg_common
from netchecks_probe.checks.base import Deadline
from netchecks_probe.errors import CheckSetupError

DEFAULT_RULE = "data.success == true && data['violation-count'] == 0"

#: Violations listed in ``data`` (they end up in reports, which must stay small).
MAX_LISTED = 100

_PRIVILEGE_FUNCTION = {
    "database": "has_database_privilege",
    "schema": "has_schema_privilege",
    "table": "has_table_privilege",
    "sequence": "has_sequence_privilege",
    "function": "has_function_privilege",
}

#: Per object type: the query selecting objects (oid, schema, name), and how a
#: violation names its object in full. System schemas count only when named.
_RELATIONS = """
    select c.oid, n.nspname::text as schema, c.relname::text as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = any(%(relkinds)s::"char"[])
      and (%(all_names)s or c.relname = any(%(names)s::text[]))
      and (case when %(all_schemas)s
                then n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                else n.nspname = any(%(schemas)s::text[]) end)"""
_OBJECTS: dict[str, tuple[str, str]] = {
    "database": (
        """
        select d.oid, null::text as schema, d.datname::text as name
        from pg_database d
        where d.datallowconn and (%(all_names)s or d.datname = any(%(names)s::text[]))""",
        "quote_ident(v.name)",
    ),
    "schema": (
        """
        select n.oid, null::text as schema, n.nspname::text as name
        from pg_namespace n
        where (%(all_names)s or n.nspname = any(%(names)s::text[]))
          and (%(all_schemas)s or n.nspname = any(%(schemas)s::text[]))
          and (not (%(all_names)s and %(all_schemas)s)
               or (n.nspname !~ '^pg_' and n.nspname <> 'information_schema'))""",
        "quote_ident(v.name)",
    ),
    "table": (_RELATIONS, "v.oid::regclass::text"),
    "sequence": (_RELATIONS, "v.oid::regclass::text"),
    "function": (
        """
        select p.oid, n.nspname::text as schema, p.proname::text as name
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where (%(all_names)s or p.proname = any(%(names)s::text[]))
          and (case when %(all_schemas)s
                    then n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                    else n.nspname = any(%(schemas)s::text[]) end)""",
        "v.oid::regprocedure::text",
    ),
}
#: pg_class kinds: tables, partitioned tables, views, materialized views, foreign tables.
_RELKINDS = {"table": ["r", "p", "v", "m", "f"], "sequence": ["S"]}

_RULE_QUERY = """
with roles as (
    select r.oid, r.rolname::text as name
    from pg_roles r
    where (%(all_roles)s or r.rolname = any(%(role_names)s::text[]))
      and (%(login)s::boolean is null or r.rolcanlogin = %(login)s::boolean)
      and (%(system_roles)s or r.rolname !~ '^pg_')
      and not r.rolname = any(%(exclude)s::text[])
      and not exists (select from pg_roles g where g.rolname = any(%(member_of)s::text[])
                      and not pg_has_role(r.oid, g.oid, 'MEMBER'))
      and not exists (select from pg_roles g where g.rolname = any(%(exclude_member_of)s::text[])
                      and pg_has_role(r.oid, g.oid, 'MEMBER'))
),
objects as ({objects}),
privileges as (
    select p.privilege, p.position
    from unnest(%(privileges)s::text[]) with ordinality as p(privilege, position)
),
violations as (
    select r.name as role, o.oid, o.schema, o.name, p.privilege, p.position
    from roles r cross join objects o cross join privileges p
    where {function}(r.oid, o.oid, p.privilege) = %(deny)s
)
select
    (select count(*) from roles) as role_count,
    (select count(*) from objects) as object_count,
    (select count(*) from violations) as violation_count,
    (select coalesce(json_agg(json_build_array(v.role, v.schema, v.name, v.privilege, {identity})
                              order by v.role, v.schema, v.name, v.position), '[]')
       from (select * from violations order by role, schema, name, position
             limit %(limit)s) v) as listed,
    array(select n from unnest(%(role_names)s::text[]) n
          where not exists (select from pg_roles r where r.rolname = n)) as missing_roles,
    array(select n from unnest(%(parents)s::text[]) n
          where not exists (select from pg_roles r where r.rolname = n)) as missing_parents,
    array(select n from unnest(%(object_names)s::text[]) n
          where not exists (select from objects o where o.name = n)) as missing_objects
"""


class _InvalidRuleError(CheckSetupError):
    """A grants rule refers to roles the server does not have."""


def run(rule: RunnablePostgresGrants, deadline: Deadline) -> dict[str, Any]:
    """Evaluate every grants rule in one read-only transaction."""
    started = time.perf_counter()
    scrub = pg_common.Scrubber(rule.dsn)
    tally = _Tally()
    data: dict[str, Any] = {"success": True}
    try:
        with pg_common.connect(rule.dsn, deadline) as conn:
            conn.read_only = True
            cursor = conn.cursor()
            for index, grant_rule in enumerate(rule.rules):
                if deadline.expired():
                    data = pg_common.timeout_data(f"rule {index + 1} could be evaluated")
                    break
                tally.add(_evaluate(cursor, grant_rule, index, deadline, MAX_LISTED - tally.listed))
            conn.rollback()
    except psycopg.Error as error:
        data = pg_common.error_data(error, scrub)
    except _InvalidRuleError as error:
        data = pg_common.failure("invalid-rule", "InvalidRule", str(error))
    data.update(tally.data(len(rule.rules)))
    data["elapsed-seconds"] = round(time.perf_counter() - started, 6)
    if data["success"] and data["violation-count"]:
        data["reason"] = "privilege-violation"
    return data


class _Tally:
    """Violations and counts gathered over the rules."""

    def __init__(self) -> None:
        self.violations: list[dict[str, Any]] = []
        self.violation_count = 0
        self.pair_count = 0
        self.rule_results: list[dict[str, Any]] = []

    @property
    def listed(self) -> int:
        return len(self.violations)

    def add(self, outcome: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
        summary, listed = outcome
        self.rule_results.append(summary)
        self.violations.extend(listed[: MAX_LISTED - self.listed])
        self.violation_count += summary["violation-count"]
        self.pair_count += summary["pair-count"]

    def data(self, rule_count: int) -> dict[str, Any]:
        return {
            "rule-count": rule_count,
            "violations": self.violations,
            "violation-count": self.violation_count,
            "violations-truncated": self.violation_count > len(self.violations),
            "pair-count": self.pair_count,
            "rule-results": self.rule_results,
        }


def _explicit(names: list[str] | None) -> list[str]:
    """The names a selector lists, or [] when it means "all" (unset, empty, or "*")."""
    if not names or "*" in names:
        return []
    return names


def _query_params(grant_rule: GrantRule, limit: int) -> dict[str, Any]:
    """The parameters of :data:`_RULE_QUERY` for one grants rule."""
    roles, objects = grant_rule.roles, grant_rule.objects
    role_names = _explicit(roles.names)
    names, schemas = _explicit(objects.names), _explicit(objects.schemas)
    return {
        "all_roles": not role_names,
        "role_names": role_names,
        "login": roles.login,
        "system_roles": roles.include_system_roles,
        "exclude": roles.exclude or [],
        "member_of": roles.member_of or [],
        "exclude_member_of": roles.exclude_member_of or [],
        "parents": [*(roles.member_of or []), *(roles.exclude_member_of or [])],
        "all_names": not names,
        "names": names,
        "all_schemas": not schemas,
        "schemas": schemas,
        "object_names": names + schemas if objects.type == "schema" else names,
        "relkinds": _RELKINDS.get(objects.type, []),
        "privileges": grant_rule.privileges,
        "deny": grant_rule.mode == "deny",
        "limit": max(0, limit),
    }


def _rule_query(object_type: str) -> sql.Composed:
    object_query, identity = _OBJECTS[object_type]
    return sql.SQL(_RULE_QUERY).format(
        objects=sql.SQL(object_query),
        function=sql.Identifier(_PRIVILEGE_FUNCTION[object_type]),
        identity=sql.SQL(identity),
    )


def _fetch(
    cursor: psycopg.Cursor[tuple[Any, ...]], grant_rule: GrantRule, deadline: Deadline, limit: int
) -> tuple[Any, ...]:
    """The rule's one aggregate row, in one round trip."""
    with cursor.connection.pipeline() as pipeline:
        pg_common.set_statement_timeout(cursor, deadline)
        # An empty search_path makes regclass/regprocedure names always schema-qualified.
        cursor.execute("select set_config('search_path', '', true)")
        cursor.execute(_rule_query(grant_rule.objects.type), _query_params(grant_rule, limit))
        pipeline.sync()
    row = cursor.fetchone()
    assert row is not None  # an aggregate query always returns its one row
    return row


@dataclass(frozen=True)
class _Violations:
    """Builds the violation items of one rule."""

    rule: str
    object_type: str
    expected: str

    def item(
        self,
        role: str | None,
        schema: str | None,
        obj: str | None,
        privilege: str | None,
        identity: str | None,
    ) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "role": role,
            "object-type": self.object_type,
            "schema": schema,
            "object": obj,
            "privilege": privilege,
            "expected": self.expected,
            "identity": identity,
        }

    def missing(self, roles: list[str], objects: list[str]) -> list[dict[str, Any]]:
        """A role or object the rule names but the server lacks cannot hold a privilege."""
        return [
            {**self.item(role, None, None, None, None), "missing": "role"} for role in roles
        ] + [
            {**self.item(None, None, obj, None, None), "missing": self.object_type}
            for obj in objects
        ]


def _evaluate(
    cursor: psycopg.Cursor[tuple[Any, ...]],
    grant_rule: GrantRule,
    index: int,
    deadline: Deadline,
    limit: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One rule, in one round trip: its summary and its first ``limit`` violations."""
    name = grant_rule.name or f"rule-{index + 1}"
    object_type = grant_rule.objects.type
    deny = grant_rule.mode == "deny"
    (
        role_count,
        object_count,
        violation_count,
        listed_rows,
        missing_roles,
        missing_parents,
        missing_objects,
    ) = _fetch(cursor, grant_rule, deadline, limit)
    if missing_parents:
        raise _InvalidRuleError(
            f"rule {name!r}: roles.member-of / exclude-member-of name roles that do not"
            f" exist: {', '.join(missing_parents)}"
        )
    violations = _Violations(name, object_type, "absent" if deny else "present")
    listed = [violations.item(*item) for item in listed_rows]
    if not deny:
        missing = violations.missing(missing_roles, missing_objects)
        violation_count += len(missing)
        listed = missing + listed
    summary = {
        "rule": name,
        "mode": grant_rule.mode,
        "object-type": object_type,
        "role-count": role_count,
        "object-count": object_count,
        "pair-count": role_count * object_count * len(grant_rule.privileges),
        "violation-count": violation_count,
        "missing-roles": list(missing_roles),
        "missing-objects": list(missing_objects),
    }
    return summary, listed
