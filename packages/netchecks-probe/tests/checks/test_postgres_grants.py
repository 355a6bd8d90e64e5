"""The ``postgres-grants`` check against a real PostgreSQL server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from netchecks_core.cel import evaluate
from netchecks_core.errors import describe_errors
from netchecks_core.rules import RULE_ADAPTER, PostgresGrantsRule
from netchecks_core.runnable import RunnablePostgresGrants, parse_runnable
from netchecks_probe.checks import postgres_grants
from netchecks_probe.checks.base import Deadline
from pydantic import ValidationError

from tools.targets.postgres_fixtures import Scratch


def grants(dsn: str, *rules: dict[str, Any]) -> dict[str, Any]:
    rule = parse_runnable({"type": "postgres-grants", "dsn": dsn, "rules": list(rules)})
    assert isinstance(rule, RunnablePostgresGrants)
    data = postgres_grants.run(rule, Deadline.after(30).for_rule(rule.effective_timeout))
    json.dumps(data, allow_nan=False)
    return data


def deny(roles: dict[str, Any], objects: dict[str, Any], *privileges: str) -> dict[str, Any]:
    return {"name": "deny", "mode": "deny", "roles": roles, "objects": objects,
            "privileges": list(privileges)}  # fmt: skip


def require(roles: dict[str, Any], objects: dict[str, Any], *privileges: str) -> dict[str, Any]:
    return {"name": "require", "mode": "require", "roles": roles, "objects": objects,
            "privileges": list(privileges)}  # fmt: skip


def seen(data: dict[str, Any]) -> set[tuple[Any, ...]]:
    """Violations as (role, object-type, schema, object, privilege)."""
    return {
        (v["role"], v["object-type"], v["schema"], v["object"], v["privilege"])
        for v in data["violations"]
    }


def passes(data: dict[str, Any]) -> bool:
    result = evaluate(postgres_grants.DEFAULT_RULE, {"data": data})
    assert isinstance(result, bool)
    return result


@pytest.fixture
def app(pg: Scratch) -> Iterator[str]:
    """A login role, and a schema ``shop`` with a table ``orders`` nobody but the owner uses."""
    role = pg.create_role("app")
    pg.execute("create schema shop; create table shop.orders (id int)")
    yield role


def test_deny_rule_passes_when_no_selected_role_holds_the_privilege(pg: Scratch, app: str) -> None:
    data = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "table", "schemas": ["shop"]}, "SELECT", "DELETE")
    )

    assert data["success"] is True
    assert data["violations"] == []
    assert data["violation-count"] == 0
    assert data["rule-count"] == 1
    assert data["pair-count"] == 2
    assert "reason" not in data
    assert passes(data)


def test_violation_appears_after_a_grant_and_disappears_after_a_revoke(
    pg: Scratch, app: str
) -> None:
    rule = deny({"names": [app]}, {"type": "table", "schemas": ["shop"]}, "SELECT", "DELETE")

    pg.execute(f"grant delete on shop.orders to {app}")
    granted = grants(pg.dsn(), rule)
    pg.execute(f"revoke delete on shop.orders from {app}")
    revoked = grants(pg.dsn(), rule)

    assert granted["violations"] == [
        {
            "rule": "deny",
            "role": app,
            "object-type": "table",
            "schema": "shop",
            "object": "orders",
            "privilege": "DELETE",
            "expected": "absent",
            "identity": "shop.orders",
        }
    ]
    assert granted["violation-count"] == 1
    assert granted["reason"] == "privilege-violation"
    assert not passes(granted)
    assert revoked["violation-count"] == 0
    assert passes(revoked)


def test_privileges_held_through_role_membership_count(pg: Scratch) -> None:
    pg.create_role("writers", login=False)
    pg.create_role("team", login=False, member_of=("writers",))
    alice = pg.create_role("alice", member_of=("team",))
    pg.execute(f"create table ledger (n int); grant insert on ledger to {pg.role('writers')}")

    data = grants(
        pg.dsn(), deny({"names": [alice]}, {"type": "table", "names": ["ledger"]}, "INSERT")
    )

    assert seen(data) == {(alice, "table", "public", "ledger", "INSERT")}


def test_privileges_granted_to_public_count_for_every_role(pg: Scratch, app: str) -> None:
    other = pg.create_role("other")
    pg.execute("grant select on shop.orders to public")

    data = grants(pg.dsn(), deny({"names": [app, other]}, {"type": "table"}, "SELECT"))

    assert seen(data) == {
        (app, "table", "shop", "orders", "SELECT"),
        (other, "table", "shop", "orders", "SELECT"),
    }


def test_require_mode_reports_each_missing_privilege(pg: Scratch, app: str) -> None:
    pg.execute(f"grant usage on schema shop to {app}; grant select on shop.orders to {app}")

    data = grants(
        pg.dsn(),
        require({"names": [app]}, {"type": "table", "schemas": ["shop"]}, "SELECT", "INSERT"),
        require({"names": [app]}, {"type": "schema", "names": ["shop"]}, "USAGE"),
    )

    assert seen(data) == {(app, "table", "shop", "orders", "INSERT")}
    assert data["violations"][0]["expected"] == "present"
    assert [r["violation-count"] for r in data["rule-results"]] == [1, 0]


def test_require_mode_counts_named_roles_and_objects_that_do_not_exist(
    pg: Scratch, app: str
) -> None:
    ghost = pg.role("ghost")
    data = grants(
        pg.dsn(),
        require({"names": [app, ghost]}, {"type": "table", "names": ["orders", "gone"]}, "SELECT"),
    )

    missing = {(v.get("missing"), v["role"], v["object"]) for v in data["violations"]}
    assert (("role", ghost, None) in missing) and (("table", None, "gone") in missing)
    assert data["rule-results"][0]["missing-roles"] == [ghost]
    assert data["rule-results"][0]["missing-objects"] == ["gone"]
    assert data["violation-count"] == 3  # the ghost, the missing table, app lacking SELECT


def test_deny_mode_lists_missing_names_without_failing(pg: Scratch, app: str) -> None:
    data = grants(pg.dsn(), deny({"names": [app]}, {"type": "table", "names": ["gone"]}, "SELECT"))

    assert data["violation-count"] == 0
    assert data["rule-results"][0]["missing-objects"] == ["gone"]


def test_every_kind_of_table_is_a_table_object(pg: Scratch, app: str) -> None:
    pg.execute(
        """
        create schema kinds;
        create table kinds.plain (id int);
        create view kinds.a_view as select 1 as one;
        create materialized view kinds.a_matview as select 1 as one;
        create table kinds.parted (id int) partition by range (id);
        create foreign data wrapper netchecks_fdw;
        create server netchecks_srv foreign data wrapper netchecks_fdw;
        create foreign table kinds.remote (id int) server netchecks_srv;
        create sequence kinds.counter;
        """
    )
    pg.execute(f"grant select on all tables in schema kinds to {app}")

    data = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "table", "schemas": ["kinds"]}, "SELECT")
    )

    assert {v["object"] for v in data["violations"]} == {
        "plain", "a_view", "a_matview", "parted", "remote",
    }  # fmt: skip
    assert data["rule-results"][0]["object-count"] == 5  # the sequence is not a table


def test_sequence_privileges(pg: Scratch, app: str) -> None:
    pg.execute(f"create sequence shop.ids; grant usage on sequence shop.ids to {app}")

    data = grants(
        pg.dsn(),
        deny({"names": [app]}, {"type": "sequence", "schemas": ["shop"]}, "USAGE", "UPDATE"),
    )

    assert seen(data) == {(app, "sequence", "shop", "ids", "USAGE")}
    assert data["violations"][0]["identity"] == "shop.ids"


def test_function_privileges_including_execute_granted_to_public_by_default(
    pg: Scratch, app: str
) -> None:
    pg.execute(
        """
        create function shop.total(int) returns int language sql as 'select $1';
        create function shop.total(int, int) returns int language sql as 'select $1 + $2';
        create function shop.refund(int) returns int language sql as 'select $1';
        revoke execute on function shop.refund(int) from public;
        """
    )

    data = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "function", "schemas": ["shop"]}, "EXECUTE")
    )

    assert {v["identity"] for v in data["violations"]} == {
        "shop.total(integer)",
        "shop.total(integer,integer)",
    }


def test_schema_privileges(pg: Scratch, app: str) -> None:
    pg.execute(f"grant create on schema shop to {app}")

    data = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "schema", "names": ["shop"]}, "CREATE", "USAGE")
    )

    assert seen(data) == {(app, "schema", None, "shop", "CREATE")}


def test_database_privileges_including_public_defaults(pg: Scratch, app: str) -> None:
    data = grants(
        pg.dsn(),
        deny(
            {"names": [app]},
            {"type": "database", "names": [pg.dbname]},
            "CONNECT",
            "TEMP",
            "CREATE",
        ),
    )

    # PostgreSQL grants CONNECT and TEMPORARY on new databases to PUBLIC.
    assert seen(data) == {
        (app, "database", None, pg.dbname, "CONNECT"),
        (app, "database", None, pg.dbname, "TEMP"),
    }


def test_all_objects_exclude_system_schemas_unless_named(pg: Scratch, app: str) -> None:
    everything = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "function", "names": ["*"]}, "EXECUTE")
    )
    catalog = grants(
        pg.dsn(),
        deny(
            {"names": [app]},
            {"type": "function", "schemas": ["pg_catalog"], "names": ["now"]},
            "EXECUTE",
        ),
    )

    assert everything["rule-results"][0]["object-count"] == 0
    assert seen(catalog) == {(app, "function", "pg_catalog", "now", "EXECUTE")}


def test_role_selector_login_and_exclude(pg: Scratch, app: str) -> None:
    group = pg.create_role("group", login=False, member_of=())
    other = pg.create_role("other", member_of=())
    pg.execute("grant select on shop.orders to public")
    roles = [app, group, other]

    logins = grants(pg.dsn(), deny({"names": roles, "login": True}, {"type": "table"}, "SELECT"))
    no_login = grants(pg.dsn(), deny({"names": roles, "login": False}, {"type": "table"}, "SELECT"))
    excluded = grants(
        pg.dsn(), deny({"names": roles, "exclude": [other]}, {"type": "table"}, "SELECT")
    )

    assert {v["role"] for v in logins["violations"]} == {app, other}
    assert {v["role"] for v in no_login["violations"]} == {group}
    assert {v["role"] for v in excluded["violations"]} == {app, group}


def test_member_of_needs_every_listed_role_and_exclude_member_of_any(pg: Scratch) -> None:
    pg.create_role("red", login=False)
    pg.create_role("blue", login=False)
    both = pg.create_role("both", member_of=("red", "blue"))
    only_red = pg.create_role("only_red", member_of=("red",))
    pg.execute("create table paint (c text); grant select on paint to public")
    red, blue = pg.role("red"), pg.role("blue")
    scope = {"type": "table", "names": ["paint"]}
    mine = [both, only_red, red, blue]

    members = grants(pg.dsn(), deny({"names": mine, "member-of": [red, blue]}, scope, "SELECT"))
    not_blue = grants(pg.dsn(), deny({"names": mine, "exclude-member-of": [blue]}, scope, "SELECT"))

    assert {v["role"] for v in members["violations"]} == {both}
    assert {v["role"] for v in not_blue["violations"]} == {only_red, red}


def test_member_of_an_unknown_role_is_an_invalid_rule(pg: Scratch, app: str) -> None:
    data = grants(pg.dsn(), deny({"member-of": [pg.role("ghost")]}, {"type": "table"}, "SELECT"))

    assert data["success"] is False
    assert data["reason"] == "invalid-rule"
    assert pg.role("ghost") in data["exception"]
    assert not passes(data)


def test_system_roles_count_only_when_asked(pg: Scratch, app: str) -> None:
    # pg_read_all_data may read every table (PostgreSQL 14+).
    roles = {"names": ["pg_read_all_data"]}
    default = grants(pg.dsn(), deny(roles, {"type": "table", "schemas": ["shop"]}, "SELECT"))
    included = grants(
        pg.dsn(),
        deny(
            {**roles, "include-system-roles": True},
            {"type": "table", "schemas": ["shop"]},
            "SELECT",
        ),
    )

    assert default["rule-results"][0]["role-count"] == 0
    assert seen(included) == {("pg_read_all_data", "table", "shop", "orders", "SELECT")}


def test_the_violations_list_is_bounded_and_says_so(pg: Scratch, app: str) -> None:
    # Every role may execute nearly every built-in function: thousands of violations.
    data = grants(
        pg.dsn(), deny({"names": [app]}, {"type": "function", "schemas": ["pg_catalog"]}, "EXECUTE")
    )

    assert len(data["violations"]) == postgres_grants.MAX_LISTED
    assert data["violation-count"] > 1000
    assert data["violations-truncated"] is True
    assert data["pair-count"] == data["rule-results"][0]["object-count"]
    assert data["elapsed-seconds"] > 0


def test_each_rule_costs_the_same_statements_however_many_roles_and_objects(
    pg: Scratch, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[object] = []
    original = psycopg.Cursor.execute

    def counting(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(query)
        return original(self, query, *args, **kwargs)

    small = [pg.create_role(f"s{i}") for i in range(2)]
    large = [pg.create_role(f"l{i}") for i in range(12)]
    pg.execute("create schema many; select 1")
    pg.execute(
        "do $$ begin for i in 1..60 loop"
        " execute format('create table many.t%s (id int)', i); end loop; end $$"
    )
    monkeypatch.setattr(psycopg.Cursor, "execute", counting)

    grants(pg.dsn(), deny({"names": small}, {"type": "table", "names": ["t1", "t2"]}, "SELECT"))
    few = len(statements)
    statements.clear()
    grants(
        pg.dsn(), deny({"names": large}, {"type": "table", "schemas": ["many"]}, "SELECT", "INSERT")
    )

    assert len(statements) == few


def test_unreachable_server_and_bad_credentials_are_failures(pg: Scratch, app: str) -> None:
    pg.execute(f"alter role {app} password 'right'")
    rule = deny({"names": [app]}, {"type": "table"}, "SELECT")

    refused = grants("host=127.0.0.1 port=1 user=x", rule)
    bad = grants(pg.dsn(user=app, password="Wr0ngPassw0rd"), rule)

    assert (refused["success"], refused["reason"]) == (False, "connection-refused")
    assert (bad["success"], bad["reason"]) == (False, "auth-failed")
    assert "Wr0ngPassw0rd" not in json.dumps(bad)
    assert not passes(refused)


def test_a_role_that_may_not_read_the_catalog_still_works(pg: Scratch, app: str) -> None:
    # The check needs no privileges of its own: the catalogs and has_*_privilege are public.
    pg.execute(f"alter role {app} password 'pw'")
    data = grants(
        pg.dsn(user=app, password="pw"), deny({"names": [app]}, {"type": "table"}, "SELECT")
    )

    assert data["success"] is True
    assert data["rule-results"][0]["object-count"] == 1


# -- the rule model ---------------------------------------------------------------------------


def problems(rule: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        RULE_ADAPTER.validate_python({"type": "postgres-grants", "dsn": "x", "rules": [rule]})
    return describe_errors(raised.value)


def test_old_format_rules_parse_unchanged() -> None:
    old = {
        "type": "postgres-grants",
        "dsn": "postgresql://checker@db/app",
        "timeout": 5,
        "rules": [
            {
                "name": "no-public-writes",
                "mode": "deny",
                "roles": {"login": True, "exclude": ["postgres"], "member-of": ["app_users"],
                          "exclude-member-of": ["admins"], "include-system-roles": False},
                "objects": {"type": "table", "schemas": ["public"], "names": ["*"]},
                "privileges": ["INSERT", "UPDATE", "DELETE"],
            },
            {"objects": {"type": "database"}, "privileges": ["temp"]},
        ],
    }  # fmt: skip

    rule = RULE_ADAPTER.validate_python(old)

    assert isinstance(rule, PostgresGrantsRule)
    assert rule.rules[0].roles.member_of == ["app_users"]
    assert (rule.rules[1].mode, rule.rules[1].name, rule.rules[1].privileges) == (
        "deny",
        None,
        ["TEMP"],
    )


def test_privileges_are_checked_against_the_object_type() -> None:
    assert problems({"objects": {"type": "table"}, "privileges": ["EXECUTE"]}) == [
        "rules[0]: privileges: 'EXECUTE' is not a privilege of table objects (known: SELECT,"
        " INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN, ALL)"
    ]
    assert problems({"objects": {"type": "function"}, "privileges": ["SELECT"]})
    assert problems({"objects": {"type": "database"}, "privileges": ["USAGE"]})


def test_all_privileges_expand_per_object_type() -> None:
    rule = RULE_ADAPTER.validate_python(
        {"type": "postgres-grants", "dsn": "x",
         "rules": [{"objects": {"type": "sequence"}, "privileges": ["all", "usage"]}]}
    )  # fmt: skip

    assert isinstance(rule, PostgresGrantsRule)
    assert rule.rules[0].privileges == ["USAGE", "SELECT", "UPDATE"]


def test_selector_mistakes_are_named() -> None:
    assert problems({"objects": {"type": "view"}, "privileges": ["SELECT"]})[0].startswith(
        "rules[0].objects.type:"
    )
    assert problems({"objects": {"type": "table", "tables": ["x"]}, "privileges": ["SELECT"]}) == [
        "rules[0].objects.tables: is not a known field"
    ]
    assert problems({"objects": {"type": "database", "schemas": ["x"]}, "privileges": ["CONNECT"]})
    assert problems({"objects": {"type": "table"}, "privileges": []})
    assert problems({"mode": "allow", "objects": {"type": "table"}, "privileges": ["SELECT"]})
