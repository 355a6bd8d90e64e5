"""The JUnit report of ``netchecks run``, read by an independent consumer and a schema."""

from __future__ import annotations

from pathlib import Path

import junitparser
import xmlschema

SCHEMA = Path(__file__).with_name("junit.xsd")
CONFIG = {
    "contexts": [{"name": "c", "type": "inline", "data": {}}],
    "assertions": [
        {
            "name": "mixed",
            "rules": [
                {"name": "ok", "type": "internal"},
                {"name": "broken", "type": "internal", "validation": "false"},
                {"name": "unjudged", "type": "internal", "validation": "c.missing == 1"},
            ],
        },
        {"name": "fine", "rules": [{"name": "t", "type": "internal"}]},
    ],
}


def _suites(xml: junitparser.JUnitXml) -> dict[str, junitparser.TestSuite]:
    return {suite.name: suite for suite in xml}


def test_junit_output_counts_and_verdicts_read_by_junitparser(cli, write_json) -> None:
    done = cli("run", "--config", str(write_json(CONFIG)), "-o", "junit")
    assert done.returncode == 1
    xml = junitparser.JUnitXml.fromstring(done.stdout)
    suites = _suites(xml)
    assert list(suites) == ["mixed", "fine"]
    mixed = suites["mixed"]
    assert (mixed.tests, mixed.failures, mixed.errors) == (3, 1, 1)
    cases = {case.name: case for case in mixed}
    assert cases["ok"].is_passed
    assert isinstance(cases["broken"].result[0], junitparser.Failure)
    error = cases["unjudged"].result[0]
    assert isinstance(error, junitparser.Error)
    assert "missing" in (error.message or "")
    assert cases["ok"].classname == "mixed.internal"
    assert (suites["fine"].tests, suites["fine"].failures, suites["fine"].errors) == (1, 0, 0)


def test_junit_output_is_valid_against_the_junit_schema(cli, write_json) -> None:
    done = cli("run", "--config", str(write_json(CONFIG)), "-o", "junit")
    xmlschema.XMLSchema(str(SCHEMA)).validate(done.stdout.split("\n", 1)[1])


def test_table_on_stdout_and_junit_file_in_one_run(cli, write_json, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    done = cli(
        "run", "--config", str(write_json(CONFIG)), "-o", "table", "--junit-xml", str(report)
    )
    assert done.stdout.splitlines()[-1] == "2 pass, 1 fail, 1 error"
    xml = junitparser.JUnitXml.fromfile(str(report))
    assert sum(suite.tests for suite in xml) == 4
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(report))


def test_an_unwritable_junit_file_is_a_clear_input_error(cli, write_json, tmp_path) -> None:
    done = cli("run", "--config", str(write_json(CONFIG)), "--junit-xml", str(tmp_path))
    assert done.returncode == 2
    assert f"--junit-xml {tmp_path}: " in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("{")
