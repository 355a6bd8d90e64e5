"""CI reports point at the failing rule's line in its file (multi-document YAML and JSON)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import junitparser
import xmlschema

SCHEMA = Path(__file__).with_name("junit.xsd")
#: The ``cli`` fixture (conftest.py): the installed command, run with ``cwd``.
CliRunner = Callable[..., subprocess.CompletedProcess[str]]


class LocatedCase(junitparser.TestCase):
    """A testcase with the ``file`` and ``line`` attributes Jenkins and GitLab read."""

    file = junitparser.Attr()
    line = junitparser.IntAttr()


#: The failing rule ``broken`` starts on line 17 of the file (line 9 of its document).
TWO_DOCUMENTS = """\
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata: {name: first}
spec:
  rules:
    - name: fine
      type: internal
---
# the second document
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata: {name: second}
spec:
  rules:
    - name: ok
      type: internal
    - name: broken
      type: internal
      validate: {pattern: "false"}
"""
BROKEN_LINE = 17


def _manifest(tmp_path: Path) -> Path:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    manifest = deploy / "two.yaml"
    manifest.write_text(TWO_DOCUMENTS)
    assert manifest.read_text().splitlines()[BROKEN_LINE - 1] == "    - name: broken"
    return manifest


def test_github_error_names_the_file_and_line_of_a_rule_in_the_second_document(
    cli: CliRunner, tmp_path: Path
) -> None:
    _manifest(tmp_path)
    done = cli("run", "-f", "deploy/two.yaml", "-o", "github", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert errors == [
        f"::error file=deploy/two.yaml,line={BROKEN_LINE},title=second/broken%3A fail::"
        + errors[0].split("::", 2)[2]
    ]


def test_an_absolute_path_inside_the_workspace_is_reported_relative(
    cli: CliRunner, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path)
    done = cli("run", "-f", str(manifest), "-o", "github", cwd=tmp_path)
    assert f"::error file=deploy/two.yaml,line={BROKEN_LINE}," in done.stdout


def test_junit_testcases_carry_file_and_line_read_by_junitparser(
    cli: CliRunner, tmp_path: Path
) -> None:
    _manifest(tmp_path)
    report = tmp_path / "report.xml"
    done = cli("run", "-f", "deploy/", "-o", "table", "--junit-xml", str(report), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(report))
    suites = junitparser.JUnitXml.fromfile(str(report))
    # One suite per NetworkAssertion (not one per rule, as the probe output has them).
    assert [(s.name, s.tests, s.failures) for s in suites] == [("first", 1, 0), ("second", 2, 1)]
    cases = {case.name: case for suite in suites for case in suite.iterchildren(LocatedCase)}  # type: ignore[no-untyped-call]
    assert {name: (case.file, case.line) for name, case in cases.items()} == {
        "fine": ("deploy/two.yaml", 6),
        "ok": ("deploy/two.yaml", 15),
        "broken": ("deploy/two.yaml", BROKEN_LINE),
    }
    assert isinstance(cases["broken"].result[0], junitparser.Failure)


def test_a_json_config_is_located_too(cli: CliRunner, tmp_path: Path) -> None:
    config = {
        "assertions": [
            {"name": "a", "rules": [{"name": "ok", "type": "internal"}]},
            {"name": "b", "rules": [{"name": "bad", "type": "internal", "validation": "false"}]},
        ]
    }
    (tmp_path / "config.json").write_text(json.dumps(config, indent=2))
    lines = (tmp_path / "config.json").read_text().splitlines()
    bad_line = next(i for i, line in enumerate(lines, 1) if '"bad"' in line) - 1
    assert lines[bad_line - 1].strip() == "{"
    done = cli("run", "-c", "config.json", "-o", "github", cwd=tmp_path)
    assert f"::error file=config.json,line={bad_line},title=b/bad%3A fail::" in done.stdout


def test_an_invalid_rule_is_located_where_it_stands(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "nas.yaml").write_text(
        "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: x}\n"
        "spec:\n  rules:\n    - {name: good, type: internal}\n"
        "    - {name: wrong, type: internal, validation: 'data.x =='}\n"
    )
    done = cli("run", "-f", "nas.yaml", "-o", "github", cwd=tmp_path)
    assert done.returncode == 2
    assert "::error file=nas.yaml,line=7,title=x/wrong%3A error::" in done.stdout


def test_stdin_has_no_file_to_point_at(cli: CliRunner, tmp_path: Path) -> None:
    done = cli("run", "-f", "-", "-o", "github", stdin=TWO_DOCUMENTS, cwd=tmp_path)
    assert "::error title=second/broken%3A fail::" in done.stdout
