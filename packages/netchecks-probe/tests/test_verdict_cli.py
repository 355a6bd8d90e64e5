"""The verdict through the real ``netchecks run``: what issue 11 saw turn into false passes."""

from __future__ import annotations

from typing import Any

import pytest

from tools.probe_testing import results_of
from tools.targets.http import HttpServer


def _config(rule: dict[str, Any]) -> dict[str, Any]:
    return {"assertions": [{"name": "a", "rules": [rule]}]}


@pytest.mark.timeout(60)
def test_a_cel_key_typo_with_expected_fail_is_an_error_not_a_pass(
    cli, write_json, http_server: HttpServer
) -> None:
    rule = {
        "name": "typo",
        "type": "http",
        "url": http_server.url("/json"),
        "expected": "fail",
        "validation": "data.status_code == 200",
    }
    done = cli("run", "--config", str(write_json(_config(rule))))
    # The validator refuses the rule before it runs: an error result, exit 2 (bad input).
    result = results_of(done)[0]
    assert result["status"] == "error"
    assert done.returncode == 2
    assert "(did you mean data['status-code']?)" in result["message"]


@pytest.mark.timeout(60)
def test_a_rule_cut_by_the_run_deadline_with_expected_fail_is_an_error_not_a_pass(
    cli, write_json, http_server: HttpServer
) -> None:
    rule = {
        "name": "slow",
        "type": "http",
        "url": http_server.url("/slow?delay=4"),
        "timeout": 20,
        "expected": "fail",
    }
    done = cli("run", "--run-timeout", "1", "--config", str(write_json(_config(rule))))
    result = results_of(done)[0]
    assert result["status"] == "error"
    assert result["data"]["reason"] == "deadline"
    assert done.returncode == 1


@pytest.mark.timeout(60)
def test_the_same_slow_rule_without_a_run_deadline_fails(
    cli, write_json, http_server: HttpServer
) -> None:
    rule = {
        "name": "slow",
        "type": "http",
        "url": http_server.url("/slow?delay=2"),
        "timeout": 20,
        "expected": "fail",
    }
    done = cli("run", "--config", str(write_json(_config(rule))))
    result = results_of(done)[0]
    assert result["status"] == "fail"
    assert result["message"] == "the check succeeded but was expected to fail"


@pytest.mark.timeout(60)
def test_the_table_shows_an_unjudged_rule_as_an_error_and_counts_it(
    cli, write_json, http_server: HttpServer, refusing_port: Any
) -> None:
    rules = [
        {"name": "type-error", "type": "http", "url": http_server.url("/json"),
         "expected": "fail", "validation": "data['status-code'] == '200'"},
        {"name": "blocked", "type": "tcp", "host": "127.0.0.1", "port": refusing_port.port,
         "expected": "fail"},
    ]  # fmt: skip
    config = {"assertions": [{"name": "a", "rules": rules}]}
    done = cli("run", "-o", "table", "--config", str(write_json(config)))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "ERROR" in next(line for line in lines if "type-error" in line)
    assert "PASS" in next(line for line in lines if "blocked" in line)
    assert lines[-1] == "1 pass, 0 fail, 1 error"
