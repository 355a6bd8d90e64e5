"""One huge result never costs the others: the output document stays bounded.

Through the real CLI against a real local HTTP server: big bodies, bodies that
grow six-fold as JSON, gzip bombs; plus unit tests of the cutting and of JSON safety.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from netchecks_probe.output_bounds import (
    LOG_TAIL_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_RESULT_BYTES,
    OutputBudget,
    bound_results,
    json_safe,
    json_size,
)

from tools.probe_testing import output_of
from tools.targets.http import HttpServer
from tools.targets.tcp import ClosedPort

MIB = 1024 * 1024


def _http(name: str, url: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "type": "http", "url": url, "timeout": 20, **fields}


@pytest.mark.timeout(120)
@pytest.mark.e2e  # starts a process
def test_big_bodies_and_gzip_bombs_leave_every_rule_a_result_within_the_bound(
    cli, write_json, http_server: HttpServer
) -> None:
    rules = [_http(f"big-{i}", http_server.url(f"/bytes/{MIB}")) for i in range(8)]
    rules += [
        _http(f"bomb-{i}", http_server.url("/gzip-bomb?mib=256"), **{"max-body-bytes": 2 * MIB})
        for i in range(2)
    ]
    rules.append(_http("escapes", http_server.url(f"/escapes/{MIB}")))
    rules.append(_http("small", http_server.url("/json")))
    config = write_json({"assertions": [{"name": "a", "rules": rules}]})

    done = cli("run", "--config", str(config), timeout=110)

    line = done.stdout.splitlines()[-1]
    assert len(line.encode()) <= MAX_DOCUMENT_BYTES < LOG_TAIL_BYTES
    results = {r["name"]: r for r in json.loads(line)["assertions"][0]["results"]}
    assert sorted(results) == sorted(rule["name"] for rule in rules)
    assert all(r["status"] == "pass" for r in results.values()), done.stderr
    assert "data-truncated" not in results["small"]["data"]
    assert results["small"]["data"]["body"].startswith("{")
    for name in ("big-0", "bomb-1", "escapes"):
        assert results[name]["data"]["data-truncated"] is True
        assert "output bound" in results[name]["data"]["data-truncated-message"]
        assert results[name]["data"]["status-code"] == 200
    # The biggest are cut to one common size: none is starved for another.
    sizes = [json_size(results[f"big-{i}"]) for i in range(8)]
    assert max(sizes) - min(sizes) <= 64


@pytest.mark.e2e  # starts a process
def test_max_body_bytes_above_its_maximum_is_the_rules_error(
    cli, write_json, http_server: HttpServer
) -> None:
    rules = [
        _http("too-much", http_server.url("/json"), **{"max-body-bytes": 64 * MIB}),
        _http("fine", http_server.url("/json")),
    ]
    config = write_json({"assertions": [{"name": "a", "rules": rules}]})

    done = cli("run", "--config", str(config), timeout=60)

    results = output_of(done)["assertions"][0]["results"]
    assert results[0]["status"] == "error"
    assert "max-body-bytes" in results[0]["message"]
    assert results[1]["status"] == "pass"


def test_a_lone_result_is_cut_to_the_per_result_bound() -> None:
    result = {"name": "r", "spec": {}, "data": {"body": "x" * (4 * MIB)}, "status": "pass"}
    [cut] = bound_results([result])
    assert json_size(cut) <= MAX_RESULT_BYTES
    assert cut["data"]["data-truncated"] is True
    assert cut["status"] == "pass"


def test_many_small_values_are_dropped_when_cutting_strings_is_not_enough() -> None:
    rows = [{"id": i, "v": "x" * 40} for i in range(200_000)]
    result = {"name": "r", "spec": {"type": "postgres"}, "data": {"rows": rows, "success": True}}
    [cut] = bound_results([{**result, "status": "pass"}])
    assert json_size(cut) <= MAX_RESULT_BYTES
    assert cut["data"]["success"] is True
    assert "rows" not in cut["data"]
    assert "small fields" in cut["data"]["data-truncated-message"]


def test_results_within_the_bound_are_untouched() -> None:
    results = [{"name": f"r{i}", "data": {"body": "y" * 1000}, "status": "fail"} for i in range(9)]
    assert bound_results(results) == results


def test_non_finite_numbers_surrogates_and_deep_values_become_strict_json() -> None:
    deep: Any = "bottom"
    for _ in range(1200):
        deep = [deep]
    value = json_safe({"nan": math.nan, "inf": -math.inf, "s": "a\ud800b", "deep": deep})
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate left
    assert value["nan"] == "NaN" and value["inf"] == "-Infinity"
    assert value["s"] == "a\ufffdb"
    assert "nested more than" in text


@pytest.mark.e2e  # starts a process
def test_templated_surrogates_and_infinities_reach_the_output_safely(cli, write_json) -> None:
    # Parameters of a postgres rule are echoed in its spec (redaction off): an infinite
    # float rendered there, and a lone surrogate rendered into a string field, must
    # still give strict JSON (the surrogate makes its rule an error that says why).
    with ClosedPort() as closed:
        dsn = f"postgresql://probe@127.0.0.1:{closed.port}/db"
        common = {"type": "postgres", "dsn": dsn, "expected": "fail"}
        infinite = {"name": "infinite", "query": "select %s", "params": ["{{ 1.0 / 0.0 }}"]}
        surrogate = {"name": "surrogate", "query": 'select 1 -- {{ "\\ud800" }}'}
        rules = [{**common, **infinite}, {**common, **surrogate}]
        config = write_json({"assertions": [{"name": "a", "rules": rules}]})
        done = cli("run", "--disable-redaction", "--config", str(config), timeout=60)

    assert "Traceback" not in done.stderr
    document = output_of(done, parse_constant=_no_constants)
    results = {r["name"]: r for r in document["assertions"][0]["results"]}
    assert results["infinite"]["status"] == "pass"  # refused, as expected
    assert results["infinite"]["spec"]["params"] in ([None], ["Infinity"])
    assert results["surrogate"]["status"] == "error"
    assert "query" in results["surrogate"]["message"]


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} written in the output JSON")


def test_results_held_are_not_changed_once_the_budget_is_closed() -> None:
    budget = OutputBudget(budget=4 * MIB)
    first = budget.admit({"name": "a", "data": {"body": "x" * (3 * MIB)}, "status": "pass"})
    budget.close()
    # A rule abandoned at the deadline finishing late: it must not cut the first one.
    budget.admit({"name": "b", "data": {"body": "y" * (3 * MIB)}, "status": "pass"})
    assert len(first["data"]["body"]) > 2 * MIB
