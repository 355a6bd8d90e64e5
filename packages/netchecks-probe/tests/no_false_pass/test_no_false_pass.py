"""No false pass: every case of ``cases.yaml`` through the real ``netchecks run --config``.

Cases that could not be judged must be ``error`` (never a pass, whatever ``expected``
says); blocked ports, missing names and refused connections with ``expected: fail``
must still pass. Every target is a real local server (see ``cases.yaml``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.probe_testing import results_of

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())
CHECK_TYPES = ("dns", "http", "tcp", "internal", "postgres", "postgres-grants")


def _substitute(value: Any, targets: dict[str, str]) -> Any:
    if isinstance(value, str):
        return string.Template(value).substitute(targets) if "${" in value else value
    if isinstance(value, dict):
        return {key: _substitute(item, targets) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, targets) for item in value]
    return value


@pytest.fixture
def targets(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Any], Any]:
    """Replace ``${name}`` in a case by its local target, starting only what it uses."""
    garbage = tmp_path / "not-a-certificate.pem"
    garbage.write_text("not a certificate\n")

    def lookups() -> dict[str, Callable[[], str]]:
        fixture = request.getfixturevalue
        return {
            "http": lambda: fixture("http_server").base_url,
            "https": lambda: fixture("https_server").base_url,
            "https_expired": lambda: fixture("https_expired_server").base_url,
            "ca": lambda: str(fixture("test_certificates").ca_file),
            "closed": lambda: str(fixture("refusing_port").port),
            "blackhole": lambda: str(fixture("blackhole").port),
            "banner": lambda: str(fixture("banner_server").port),
            "dns": lambda: fixture("dns_server").address,
            "pg": lambda: fixture("postgres_server").dsn(),
            "garbage": lambda: str(garbage),
        }

    def fill(value: Any) -> Any:
        matches = string.Template.pattern.finditer(json.dumps(value))
        used = {m.group("named") or m.group("braced") for m in matches} - {None}
        table = lookups()
        return _substitute(value, {name: table[name]() for name in used})

    return fill


def test_the_corpus_covers_every_check_type_both_ways() -> None:
    for check_type in CHECK_TYPES:
        mine = [case for case in CASES if case["rule"]["type"] == check_type]
        assert any(case["status"] == "error" for case in mine), check_type
        assert any(case["status"] == "pass" for case in mine), check_type
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_verdict_of_each_case(
    case: dict[str, Any], targets: Callable[[Any], Any], cli: Any, write_json: Any
) -> None:
    rule = {"name": case["name"], **targets(case["rule"])}
    config = {
        "assertions": [{"name": "corpus", "rules": [rule]}],
        "contexts": targets(case.get("contexts") or []),
    }
    args = ["run", "--config", str(write_json(config))]
    if "run-timeout" in case:
        args += ["--run-timeout", str(case["run-timeout"])]
    done = cli(*args)
    assert "Traceback" not in done.stderr
    result = _result_of(done)
    if result is None:
        # Refused before anything ran (the validator): an error of the input, exit 2.
        assert (case["status"], done.returncode) == ("error", 2), done.stderr
        assert case.get("message", "") in done.stderr
        return
    assert result["status"] == case["status"], result
    assert done.returncode in ((0,) if case["status"] == "pass" else (1, 2))
    if "reason" in case:
        assert result["data"].get("reason") == case["reason"], result
    if "message" in case:
        assert case["message"] in (result.get("message") or ""), result


def _result_of(done: Any) -> dict[str, Any] | None:
    """The only rule's result, or None when the output holds none."""
    if not done.stdout.splitlines():
        return None
    results = results_of(done)
    return results[0] if results else None
