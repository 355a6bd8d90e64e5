"""``netchecks postgres`` and ``netchecks postgres-grants`` against a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from netchecks_probe.cli import main

from tools.targets.postgres_fixtures import Scratch

PASSWORD = "Cl1-Passw0rd"


def netchecks(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.out + captured.err


@pytest.fixture
def app(pg: Scratch) -> str:
    role = pg.create_role("app", PASSWORD)
    pg.execute(f"create table notes (body text); grant select, insert on notes to {role}")
    return role


def test_postgres_command_runs_the_query_and_redacts_the_dsn(
    pg: Scratch, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, text = netchecks(
        capsys, "postgres", "--dsn", pg.dsn(user=app, password=PASSWORD),
        "--query", "select %s::int + %s::int as total", "--param", "2", "--param", "3",
    )  # fmt: skip

    assert code == 0
    assert result["status"] == "pass"
    assert result["data"]["rows"] == [{"total": 5}]
    assert result["spec"]["dsn"] == "REDACTED"
    assert result["spec"]["params"] == "REDACTED"
    assert PASSWORD not in text


def test_postgres_command_takes_named_params_as_json(
    pg: Scratch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = netchecks(
        capsys, "postgres", "--dsn", pg.dsn(), "--query", "select %(word)s as word",
        "--params", '{"word": "hello"}',
    )  # fmt: skip

    assert code == 0
    assert result["data"]["rows"] == [{"word": "hello"}]


def test_read_write_and_commit_flags_keep_the_write(
    pg: Scratch, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = netchecks(
        capsys, "postgres", "--dsn", pg.dsn(user=app, password=PASSWORD),
        "--query", "insert into notes values ('kept')", "--read-write", "--commit",
    )  # fmt: skip

    assert code == 0
    assert (result["spec"]["read-only"], result["spec"]["rollback"]) == (False, False)
    assert pg.execute("select body from notes") == [("kept",)]


def test_a_write_that_should_fail_passes_when_the_transaction_is_read_only(
    pg: Scratch, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result, _ = netchecks(
        capsys, "postgres", "--dsn", pg.dsn(user=app, password=PASSWORD),
        "--query", "insert into notes values ('x')", "--should-fail",
    )  # fmt: skip

    assert code == 0
    assert result["data"]["sqlstate"] == "25006"
    assert pg.execute("select count(*) from notes") == [(0,)]


def test_bad_password_fails_without_showing_it(
    pg: Scratch, app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "N0t-The-Passw0rd"
    code, result, text = netchecks(
        capsys, "postgres", "--dsn", pg.dsn(user=app, password=wrong), "--query", "select 1"
    )

    assert code == 1
    assert result["data"]["reason"] == "auth-failed"
    assert wrong not in text


def test_disable_redaction_shows_the_dsn(pg: Scratch, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = pg.dsn()
    code, result, _ = netchecks(
        capsys, "postgres", "--dsn", dsn, "--query", "select 1", "--disable-redaction"
    )

    assert code == 0
    assert result["spec"]["dsn"] == dsn


def test_postgres_grants_command_reads_rules_from_a_yaml_file(
    pg: Scratch, app: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"- name: no-writes\n  mode: deny\n  roles: {{names: [{app}]}}\n"
        "  objects: {type: table, names: [notes]}\n  privileges: [INSERT, UPDATE]\n"
    )
    dsn = pg.dsn(user=app, password=PASSWORD)

    code, result, _ = netchecks(capsys, "postgres-grants", "--dsn", dsn, "--rules", str(rules))
    pg.execute(f"revoke insert on notes from {app}")
    fixed_code, fixed, _ = netchecks(capsys, "postgres-grants", "--dsn", dsn, "--rules", str(rules))

    assert code == 1
    assert [v["privilege"] for v in result["data"]["violations"]] == ["INSERT"]
    assert (fixed_code, fixed["status"]) == (0, "pass")


def test_postgres_grants_command_names_a_missing_rules_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["postgres-grants", "--dsn", "host=x", "--rules", str(tmp_path / "nope.yaml")])

    assert exited.value.code == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err
