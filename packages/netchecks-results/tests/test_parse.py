"""Log parsing against a corpus of real-looking probe Pod logs (``tests/logs``)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from netchecks_core.probe_output import ProbeOutput
from netchecks_results.parse import ParseFailure, parse_log

from tools.builders import HOSTILE_LOGS, hostile_log, output_document

LOGS = Path(__file__).parent / "logs"

#: Each corpus file and what parsing it must give: the statuses of the result
#: found (in order), or the failure reason.
EXPECTED: dict[str, list[str] | str] = {
    "clean-compact.log": ["pass"],
    "stderr-before.log": ["pass", "fail"],
    "stderr-after.log": ["pass", "fail", "pass"],
    "stderr-around.log": ["fail", "pass", "fail"],
    "pretty-printed.log": ["pass", "pass"],
    "pretty-with-noise.log": ["pass", "fail"],
    "several-documents.log": ["fail"],
    "pretty-then-compact.log": ["error"],
    "truncated.log": "incomplete-output",
    "truncated-after-valid.log": ["fail"],
    "empty.log": "empty",
    "whitespace-only.log": "empty",
    "binary-garbage.log": "no-output",
    "garbage-then-result.log": ["pass", "pass"],
    "invalid-json.log": "incomplete-output",
    "invalid-output.log": "invalid-output",
    "not-output-json.log": "no-output",
    "crlf.log": ["pass", "fail"],
    "ansi-coloured.log": ["pass", "fail"],
    "prefixed.log": ["fail"],
    "python-traceback.log": "no-output",
    "old-cli-0.10.log": ["pass"],
    "unicode.log": ["pass"],
    "bom.log": ["pass"],
    "keys-out-of-order.log": ["pass", "fail"],
    "json-logs-after-result.log": ["pass", "pass", "fail"],
    "killed-mid-run.log": "no-output",
    "empty-assertions.log": [],
    "no-trailing-newline.log": ["pass", "fail"],
    "indented.log": ["fail"],
    "secret-in-rule-name.log": "no-output",
    # Crafted to make a naive search quadratic (tools.builders.hostile_log);
    # bench/results_parse.py times the 7 MB versions.
    "hostile-brace-lines-far-close.log": "no-output",
    "hostile-anchors-then-noise.log": "incomplete-output",
    "hostile-unterminated-strings.log": "incomplete-output",
    "hostile-pretty-blocks.log": "no-output",
    "hostile-deep-nesting.log": "no-output",
    "hostile-invalid-outputs.log": "invalid-output",
}


def statuses(output: ProbeOutput) -> list[str]:
    return [r.status for a in output.assertions for r in a.results]


def test_corpus_has_every_file_and_at_least_twenty() -> None:
    files = sorted(p.name for p in LOGS.glob("*.log"))
    assert files == sorted(EXPECTED)
    assert len(files) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_log_parses_to_its_expected_outcome(name: str) -> None:
    parsed = parse_log((LOGS / name).read_bytes())
    expected = EXPECTED[name]
    if isinstance(expected, str):
        assert isinstance(parsed, ParseFailure), f"{name} parsed to a result"
        assert parsed.reason == expected
        assert parsed.detail
    else:
        assert isinstance(parsed, ProbeOutput), f"{name}: {parsed}"
        assert statuses(parsed) == expected


def test_pretty_printed_old_cli_output_keeps_its_data() -> None:
    parsed = parse_log((LOGS / "old-cli-0.10.log").read_text())
    assert isinstance(parsed, ProbeOutput)
    result = parsed.assertions[0].results[0]
    assert parsed.assertions[0].name == "http-should-work"
    assert result.data["status-code"] == 200
    assert result.spec["url"] == "https://github.com/status"


def test_unicode_data_survives_parsing() -> None:
    parsed = parse_log((LOGS / "unicode.log").read_bytes())
    assert isinstance(parsed, ProbeOutput)
    assert parsed.assertions[0].results[0].data["note"] == "名前解決 ✓"


def test_invalid_output_failure_names_the_field_and_problem() -> None:
    parsed = parse_log((LOGS / "invalid-output.log").read_text())
    assert isinstance(parsed, ParseFailure)
    assert "assertions[0].results[0].status" in parsed.detail
    assert "maybe" not in parsed.detail


@pytest.mark.parametrize(
    ("log", "secret"),
    [
        ("python-traceback.log", "s3cr3t-pa55"),
        ("secret-in-rule-name.log", "Zq81xVv3mP0w"),
        ("binary-garbage.log", "knTU"),
    ],
)
def test_failure_never_quotes_the_log_only_its_reason_and_size(log: str, secret: str) -> None:
    # A run without output may have printed anything: a secret in a templated rule
    # name is no credential shape any pattern would catch.
    raw = (LOGS / log).read_bytes()
    parsed = parse_log(raw)
    assert isinstance(parsed, ParseFailure)
    described = parsed.describe()
    assert secret not in described and secret not in parsed.detail
    assert parsed.size == len(raw)
    assert f"[{parsed.reason}, {len(raw)} bytes of log, content not shown]" in described


def test_empty_log_says_the_probe_printed_nothing() -> None:
    parsed = parse_log(b"")
    assert isinstance(parsed, ParseFailure)
    assert parsed.describe() == "the probe printed nothing"


def _noise(size: int, seed: int) -> str:
    rnd = random.Random(seed)
    words = ["GET", "dns", "{", "}", "[", "timeout", '"assertions"', "netcheck", "0x1f", "ok"]
    lines: list[str] = []
    total = 0
    while total < size:
        line = " ".join(rnd.choice(words) for _ in range(rnd.randrange(3, 20)))
        if rnd.random() < 0.2:
            line = "{" + line
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def test_result_after_ten_megabytes_of_noise_is_found_quickly() -> None:
    log = _noise(10 * 1024 * 1024, 1) + output_document({"r0": "pass", "r1": "fail"}) + "\n"
    started = time.perf_counter()
    parsed = parse_log(log)
    elapsed = time.perf_counter() - started
    assert isinstance(parsed, ProbeOutput)
    assert statuses(parsed) == ["pass", "fail"]
    assert elapsed < 5, "parsing must stay linear on big logs"


def test_ten_megabytes_of_noise_without_result_is_a_bounded_failure() -> None:
    parsed = parse_log(_noise(10 * 1024 * 1024, 2))
    assert isinstance(parsed, ParseFailure)
    assert parsed.reason in ("no-output", "incomplete-output")
    assert len(parsed.describe()) < 1000


def test_result_before_ten_megabytes_of_json_log_lines_is_found() -> None:
    lines = json.dumps({"level": "debug", "message": "x" * 80}) + "\n"
    log = output_document({"r0": "pass"}) + "\n" + lines * (10 * 1024 * 1024 // len(lines))
    parsed = parse_log(log)
    assert isinstance(parsed, ProbeOutput)
    assert statuses(parsed) == ["pass"]


def test_huge_single_line_result_is_parsed() -> None:
    doc = json.loads(output_document({"r0": "pass"}))
    doc["assertions"][0]["results"][0]["data"] = {"body": "b" * 3_000_000}
    parsed = parse_log("start\n" + json.dumps(doc) + "\n")
    assert isinstance(parsed, ProbeOutput)
    assert len(parsed.assertions[0].results[0].data["body"]) == 3_000_000


def test_nested_output_inside_data_does_not_replace_the_real_result() -> None:
    inner = json.loads(output_document({"r0": "fail"}))
    outer = json.loads(output_document({"r0": "pass"}))
    outer["assertions"][0]["results"][0]["data"] = {"json": inner}
    parsed = parse_log(json.dumps(outer, indent=2) + "\n")
    assert isinstance(parsed, ProbeOutput)
    assert statuses(parsed) == ["pass"]


@pytest.mark.parametrize("kind", HOSTILE_LOGS)
@pytest.mark.parametrize("prefix", ["", "result: "])
def test_result_after_a_hostile_log_is_still_found(kind: str, prefix: str) -> None:
    # The search is budgeted, but the probe's own document comes first (latest first).
    text = hostile_log(kind, 2 * 1024 * 1024) + f"\n{prefix}{output_document({'a': 'fail'})}\n"
    parsed = parse_log(text)
    assert isinstance(parsed, ProbeOutput)
    assert statuses(parsed) == ["fail"]
