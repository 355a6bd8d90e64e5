"""The ``postgres`` check against a real PostgreSQL server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from netchecks_core.cel import evaluate
from netchecks_core.rules import RULE_ADAPTER, PostgresRule
from netchecks_probe.checks import postgres
from pydantic import ValidationError

from tools.probe_testing import run_check
from tools.targets.postgres import PostgresServer
from tools.targets.postgres_fixtures import Scratch

PASSWORD = "s3cr3t pass'word"  # a space and a quote: the hard cases for DSN parsing


def check(deadline: float = 30, **fields: Any) -> dict[str, Any]:
    """Run the check on ``fields`` (``deadline``: of the run)."""
    return run_check(postgres, "postgres", deadline, **fields)


@pytest.fixture
def server(postgres_server: PostgresServer) -> PostgresServer:
    """The shared server, for checks that change nothing (its ``postgres`` database)."""
    return postgres_server


@pytest.fixture
def app(pg: Scratch) -> str:
    """A login role with a password that owns nothing."""
    return pg.create_role("app", PASSWORD)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections but never says anything."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_select_returns_columns_rows_and_row_count(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select n, n * 2 as double from generate_series(1, 3) n")

    assert data["success"] is True
    assert data["columns"] == ["n", "double"]
    assert data["rows"] == [{"n": 1, "double": 2}, {"n": 2, "double": 4}, {"n": 3, "double": 6}]
    assert data["row-count"] == 3
    assert data["truncated"] is False
    assert "reason" not in data


def test_default_rule_passes_on_success_and_fails_on_error(server: PostgresServer) -> None:
    ok = check(dsn=server.dsn(), query="select 1")
    broken = check(dsn=server.dsn(), query="select * from missing_table")

    assert evaluate(postgres.DEFAULT_RULE, {"data": ok}) is True
    assert evaluate(postgres.DEFAULT_RULE, {"data": broken}) is False


def test_values_are_made_json_safe(server: PostgresServer) -> None:
    data = check(
        dsn=server.dsn(),
        query="""select
            date '2024-02-29' as d,
            timestamptz '2024-02-29 12:30:00+00' as ts,
            time '08:15:00' as t,
            numeric '12.50' as price,
            uuid 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' as id,
            bytea '\\x00ff10' as raw,
            interval '1 day 30 seconds' as wait,
            inet '10.1.2.3' as ip,
            jsonb '{"k": [1, "two", null]}' as doc,
            array[1, 2, 3] as ints,
            'NaN'::float8 as nan,
            1.5::float8 as ratio,
            true as flag,
            null::text as nothing""",
    )

    assert data["rows"] == [
        {
            "d": "2024-02-29",
            "ts": "2024-02-29T12:30:00+00:00",
            "t": "08:15:00",
            "price": "12.50",
            "id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "raw": "00ff10",
            "wait": "86430s",
            "ip": "10.1.2.3",
            "doc": {"k": [1, "two", None]},
            "ints": [1, 2, 3],
            "nan": "nan",
            "ratio": 1.5,
            "flag": True,
            "nothing": None,
        }
    ]


def test_interval_values_are_cel_durations(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select interval '90 minutes' as wait")

    assert evaluate("duration(data.rows[0].wait) == duration('1h30m')", {"data": data}) is True


def test_params_may_be_a_list_or_a_map(server: PostgresServer) -> None:
    by_position = check(dsn=server.dsn(), query="select %s::int + %s::int as s", params=[2, 3])
    by_name = check(
        dsn=server.dsn(), query="select %(a)s || %(b)s as s", params={"a": "x", "b": "y"}
    )

    assert by_position["rows"] == [{"s": 5}]
    assert by_name["rows"] == [{"s": "xy"}]


def test_params_that_do_not_fit_the_placeholders_are_a_query_error(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select 1", params=["unused"])

    assert data["success"] is False
    assert data["reason"] == "query-error"
    assert "placeholders" in data["exception"]


def test_percent_signs_are_left_alone_without_params(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select 'net%' as pattern, 'netchecks' like 'net%' as hit")

    assert data["rows"] == [{"pattern": "net%", "hit": True}]


def test_row_limit_truncates_rows_but_row_count_counts_them_all(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select generate_series(1, 500) as n", **{"row-limit": 2})
    none = check(dsn=server.dsn(), query="select generate_series(1, 5) as n", **{"row-limit": 0})

    assert data["rows"] == [{"n": 1}, {"n": 2}]
    assert data["row-count"] == 500
    assert data["truncated"] is True
    assert none["rows"] == []
    assert none["row-count"] == 5


def test_a_login_role_can_connect_with_a_url_dsn(pg: Scratch, app: str) -> None:
    data = check(dsn=pg.server.url(app, PASSWORD, pg.dbname), query="select current_user as u")

    assert data["rows"] == [{"u": app}]


def test_unreachable_server_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    data = check(dsn=f"host=127.0.0.1 port={closed_port} user=x password=pw", query="select 1")

    assert data["success"] is False
    assert data["reason"] == "connection-refused"
    assert data["exception-type"] == "OperationalError"
    assert "rows" not in data  # a failed check never looks like an empty result


def test_server_that_never_answers_times_out(silent_port: int) -> None:
    data = check(dsn=f"host=127.0.0.1 port={silent_port} user=x", query="select 1", timeout=1)

    assert data["success"] is False
    assert data["reason"] == "timeout"


def test_unknown_host_is_a_name_resolution_failure() -> None:
    data = check(dsn="host=db.netchecks.invalid user=x", query="select 1", timeout=3)

    assert data["reason"] == "name-resolution-failed"


def test_bad_password_is_auth_failed_and_never_shown(pg: Scratch, app: str) -> None:
    wrong = "Wr0ng-Passw0rd-123"
    for dsn in (pg.dsn(user=app, password=wrong), pg.server.url(app, wrong, pg.dbname)):
        data = check(dsn=dsn, query="select 1")

        assert data["success"] is False
        assert data["reason"] == "auth-failed"
        assert "password authentication failed" in data["exception"]
        assert wrong not in json.dumps(data)


def test_unknown_role_is_auth_failed(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(user="netchecks_ghost", password="x"), query="select 1")

    assert data["reason"] == "auth-failed"


def test_unknown_database_is_an_invalid_target(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(dbname="no_such_db"), query="select 1")

    assert data["reason"] == "invalid-target"
    assert "no_such_db" in data["exception"]


def test_unparsable_dsn_is_reported_without_any_part_of_its_password() -> None:
    data = check(dsn="host=127.0.0.1 user=app password=hunter2 extra words", query="select 1")

    assert data["success"] is False
    assert data["reason"] == "invalid-target"
    assert data["exception-type"] == "InvalidDsnError"
    assert data["exception"].startswith("invalid DSN")
    for fragment in ("hunter2", "extra", "words"):
        assert fragment not in data["exception"]


def test_password_is_scrubbed_even_when_the_server_echoes_it(server: PostgresServer) -> None:
    # An error message that quotes the statement quotes whatever it holds.
    data = check(
        dsn=server.dsn(),
        query=f"select '{server.password}'::int",
    )

    assert data["reason"] == "query-error"
    assert data["sqlstate"] == "22P02"
    assert server.password not in data["exception"]
    assert "REDACTED" in data["exception"]


def test_write_in_a_read_only_transaction_is_sqlstate_25006(pg: Scratch) -> None:
    pg.execute("create table notes (body text)")
    data = check(dsn=pg.dsn(), query="insert into notes values ('x')")

    assert data["success"] is False
    assert data["sqlstate"] == "25006"
    assert data["reason"] == "read-only-violation"
    assert evaluate("data.sqlstate == '25006'", {"data": data}) is True


def test_read_write_statement_is_rolled_back_by_default(pg: Scratch) -> None:
    pg.execute("create table notes (body text)")
    data = check(
        dsn=pg.dsn(), query="insert into notes values ('x'), ('y')", **{"read-only": False}
    )

    assert data["success"] is True
    assert data["row-count"] == 2
    assert data["columns"] == []
    assert pg.execute("select count(*) from notes") == [(0,)]


def test_commit_keeps_the_write(pg: Scratch) -> None:
    pg.execute("create table notes (body text)")
    data = check(
        dsn=pg.dsn(),
        query="insert into notes values (%s) returning body",
        params=["kept"],
        **{"read-only": False, "rollback": False},
    )

    assert data["rows"] == [{"body": "kept"}]
    assert pg.execute("select body from notes") == [("kept",)]


def test_missing_privilege_is_sqlstate_42501(pg: Scratch, app: str) -> None:
    pg.execute("create table payroll (salary int)")
    data = check(dsn=pg.dsn(user=app, password=PASSWORD), query="select * from payroll")

    assert data["sqlstate"] == "42501"
    assert data["reason"] == "permission-denied"
    assert data["exception-type"] == "InsufficientPrivilege"


def test_several_statements_are_refused_before_any_runs(pg: Scratch) -> None:
    pg.execute("create table notes (body text)")
    data = check(
        dsn=pg.dsn(),
        query="insert into notes values ('x'); select 1",
        **{"read-only": False, "rollback": False},
    )

    assert data["success"] is False
    assert data["reason"] == "multiple-statements"
    assert "exactly one SQL statement" in data["exception"]
    assert pg.execute("select count(*) from notes") == [(0,)]


def test_a_trailing_semicolon_is_still_one_statement(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select 1 as one;")

    assert data["rows"] == [{"one": 1}]


def test_a_query_of_only_comments_is_refused(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="-- nothing to run")

    assert data["success"] is False
    assert data["reason"] == "query-error"
    assert "no SQL statement" in data["exception"]


def test_a_blank_query_is_refused_by_the_rule_model() -> None:
    with pytest.raises(ValidationError, match="must hold one SQL statement"):
        RULE_ADAPTER.validate_python({"type": "postgres", "dsn": "host=x", "query": " ; "})


def test_slow_statement_hits_the_statement_timeout(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select pg_sleep(10)", timeout=0.5)

    assert data["success"] is False
    assert data["sqlstate"] == "57014"
    assert data["reason"] == "timeout"


def test_run_deadline_shorter_than_the_rule_timeout_bounds_the_statement(
    server: PostgresServer,
) -> None:
    data = check(deadline=0.8, dsn=server.dsn(), query="select pg_sleep(10)", timeout=30)

    assert data["reason"] == "timeout"


def test_sql_errors_are_query_errors_with_their_sqlstate(server: PostgresServer) -> None:
    data = check(dsn=server.dsn(), query="select * from missing_table")

    assert data["reason"] == "query-error"
    assert data["sqlstate"] == "42P01"
    assert data["exception-type"] == "UndefinedTable"


def test_rule_defaults_match_the_old_format() -> None:
    rule = RULE_ADAPTER.validate_python({"type": "postgres", "dsn": "x", "query": "select 1"})

    assert isinstance(rule, PostgresRule)
    assert (rule.read_only, rule.rollback, rule.row_limit, rule.effective_timeout) == (
        True,
        True,
        100,
        5.0,
    )
