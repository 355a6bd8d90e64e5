"""Expensive CEL and templates cost their own rule only, and the run ends in time.

Runs ``hostile/cel_budget.yaml`` through the real CLI: every hostile expression
becomes that rule's error (never a pass), the other rules report normally, and the
process exits by itself (the pytest timeout and the subprocess timeout are the bounds:
a hang fails the test).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
import yaml

from tools.probe_testing import output_of, results_of
from tools.targets.http import HttpServer

CORPUS = Path(__file__).parent / "hostile" / "cel_budget.yaml"
HOSTILE = (
    "nested-comprehensions-in-validation",
    "nested-comprehensions-in-a-template",
    "yaml-alias-bomb",
    "growing-strings",
    "uses-a-context-over-budget",
)


@pytest.mark.timeout(90)
def test_hostile_expressions_fail_their_rule_only_and_the_run_ends(
    cli, tmp_path: Path, http_server: HttpServer
) -> None:
    text = string.Template(CORPUS.read_text()).substitute(HTTP=http_server.url("").rstrip("/"))
    config = tmp_path / "config.json"
    config.write_text(json.dumps(yaml.safe_load(text)))

    done = cli("run", "--config", str(config), "--run-timeout", "30", timeout=80)

    assert "Traceback" not in done.stderr
    results = {r["name"]: r for r in output_of(done)["assertions"][0]["results"]}
    assert results["fine-internal"]["status"] == "pass"
    assert results["fine-http"]["status"] == "pass"
    for name in HOSTILE:
        assert results[name]["status"] != "pass", name
        message = results[name].get("message", "")
        assert any(
            words in message
            for words in ("budget", "longer than", "more than", "could not be loaded")
        ), (name, message)
    assert done.returncode == 1


@pytest.mark.timeout(60)
def test_the_process_exits_right_after_printing_when_checks_are_abandoned(
    cli, write_json, blackhole
) -> None:
    # The check's thread is still connecting when the run's deadline passes.
    rule = {
        "name": "dropped",
        "type": "tcp",
        "host": blackhole.host,
        "port": blackhole.port,
        "timeout": 300,
    }
    config = write_json({"assertions": [{"name": "a", "rules": [rule]}]})

    done = cli("run", "--config", str(config), "--run-timeout", "2", timeout=30)

    result = results_of(done)[0]
    assert result["status"] != "pass"
    assert done.returncode == 1


@pytest.mark.timeout(60)
def test_an_expression_over_its_budget_is_never_a_pass_even_when_expected_to_fail(
    cli, write_json
) -> None:
    # Needs the verdict model (an unjudged rule is an error, never inverted by expected: fail).
    rule = {
        "name": "over-budget",
        "type": "internal",
        "expected": "fail",
        "validation": "nums.all(a, nums.all(b, nums.all(c, a + b + c >= 0)))",
    }
    config = write_json(
        {
            "contexts": [{"name": "nums", "type": "inline", "data": list(range(200))}],
            "assertions": [{"name": "a", "rules": [rule]}],
        }
    )

    done = cli("run", "--config", str(config), timeout=50)

    result = results_of(done)[0]
    assert result["status"] != "pass"
