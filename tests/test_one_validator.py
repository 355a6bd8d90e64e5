"""One validator: `netchecks validate -f`, `netchecks run -f` and the operator refuse the
same invalid manifests with the same messages at the same field paths.

The corpus is ``packages/netchecks-core/tests/invalid_manifests/*.yaml``; the first line
of each file says which problem it holds (``# expect: <path>: <message>``). Each also
holds a valid rule, which ``run`` must still run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from netchecks_operator.plan import Observed, plan
from netchecks_operator.settings import OperatorSettings
from netchecks_probe.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "packages/netchecks-core/tests/invalid_manifests"
FILES = sorted(CORPUS.glob("*.yaml"))
NOW = "2026-02-02T10:00:00Z"


def expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


def cli_lines(
    args: list[str], label: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, list[str]]:
    """Exit code, stdout, and the problems the CLI printed for ``label`` (label removed)."""
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    prefix = f"{label}: "
    return (
        code,
        out,
        [line.removeprefix(prefix) for line in err.splitlines() if line.startswith(prefix)],
    )


def operator_problems(document: dict[str, Any]) -> list[str]:
    """What the operator's pure plan says, in-process, before creating anything."""
    stored = {
        **document,
        "metadata": {**document["metadata"], "namespace": "ns", "uid": "u-1", "generation": 1},
    }
    result = plan(Observed(assertion=stored), OperatorSettings().plan_settings(), NOW)
    assert result.actions == []
    assert result.status is not None
    condition = result.status["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "InvalidSpec")
    assert condition["message"] == "; ".join(result.invalid)
    return result.invalid


def test_the_corpus_holds_at_least_40_invalid_manifests() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validate_run_and_operator_refuse_alike(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    want = expected(path)
    label = str(path)

    validate_code, _, validated = cli_lines(["validate", "-f", label], label, capsys)
    run_code, out, ran = cli_lines(["run", "-f", label], label, capsys)
    refused_by_operator = operator_problems(yaml.safe_load(path.read_text()))

    assert validate_code == 2 and run_code == 2
    assert any(line.startswith(want) for line in validated), validated
    assert validated == ran == refused_by_operator
    if out:  # the spec was usable: the valid rule ran, the refused one is an error result
        results = [r for a in json.loads(out)["assertions"] for r in a["results"]]
        assert results[0]["name"] == "ok" and results[0]["status"] == "pass"
        refused = [r for r in results if r["status"] == "error"]
        for result in refused:
            assert result["message"] == "not run, the rule is invalid: " + "; ".join(
                line for line in validated if line.startswith("spec.rules[1]")
            )
        assert bool(refused) == want.startswith("spec.rules[1]")
    else:
        assert not want.startswith("spec.rules[1]") or "spec.rules[1]:" in want


def test_validate_reports_every_file_and_each_document_by_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = FILES[0], FILES[1]
    both = tmp_path / "both.yaml"
    both.write_text(first.read_text() + "\n---\n" + second.read_text())

    code, _, _ = cli_lines(["validate", "-f", str(first), "-f", str(second)], "", capsys)
    _, _, in_first = cli_lines(
        ["validate", "-f", str(first), "-f", str(second)], str(first), capsys
    )
    _, _, in_second = cli_lines(
        ["validate", "-f", str(first), "-f", str(second)], str(second), capsys
    )
    _, _, doc_1 = cli_lines(["validate", "-f", str(both)], f"{both}[1]", capsys)

    assert code == 2
    assert any(line.startswith(expected(first)) for line in in_first)
    assert any(line.startswith(expected(second)) for line in in_second)
    assert any(line.startswith(expected(second)) for line in doc_1)


def test_validate_reads_a_directory_recursively_with_r(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = tmp_path / "team" / "nested"
    nested.mkdir(parents=True)
    (tmp_path / "team" / "a.yaml").write_text(FILES[0].read_text())
    (nested / "b.yaml").write_text(FILES[1].read_text())

    flat_code, flat_out, _ = cli_lines(["validate", "-f", str(tmp_path / "team")], "", capsys)
    _, _, deep = cli_lines(
        ["validate", "-R", "-f", str(tmp_path / "team")], str(nested / "b.yaml"), capsys
    )

    assert flat_code == 2 and flat_out == ""
    assert any(line.startswith(expected(FILES[1])) for line in deep)


def test_run_over_several_assertions_writes_one_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def manifest(name: str, rule: str) -> str:
        return yaml.safe_dump(
            {
                "apiVersion": "netchecks.io/v1",
                "kind": "NetworkAssertion",
                "metadata": {"name": name},
                "spec": {"rules": [{"name": rule, "type": "internal", "validation": "true"}]},
            }
        )

    (tmp_path / "a.yaml").write_text(manifest("a", "first") + "---\n" + manifest("b", "second"))
    (tmp_path / "c.yaml").write_text(manifest("c", "third"))

    code = main(["run", "-f", str(tmp_path)])
    output = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [r["name"] for a in output["assertions"] for r in a["results"]] == [
        "first",
        "second",
        "third",
    ]


def test_validate_refuses_another_api_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kopf.yaml"
    document = yaml.safe_load(FILES[0].read_text())
    path.write_text(yaml.safe_dump({**document, "apiVersion": "kopf.dev/v1"}))

    code, _, lines = cli_lines(["validate", "-f", str(path)], str(path), capsys)

    assert code == 2
    assert lines == [
        "apiVersion: 'kopf.dev/v1' 'NetworkAssertion' is not a NetworkAssertion "
        "(apiVersion: netchecks.io/v1, kind: NetworkAssertion)"
    ]


NAS = {"apiVersion": "netchecks.io/v1", "kind": "NetworkAssertion", "metadata": {"name": "g"}}
GARBAGE = [
    [],
    "just text",
    {"spec": 5},
    {**NAS, "spec": None},
    {**NAS, "spec": {"rules": [None, 5, [], {}, "x"]}},
    {**NAS, "spec": {"rules": {"a": 1}, "context": "c", "schedule": 5}},
    {**NAS, "spec": {"rules": [{"type": "http", "url": {"a": 1}, "validation": 5}]}},
    {**NAS, "spec": {"rules": [{"name": 5, "type": ["http"], "validate": "x", "headers": [1]}]}},
    {**NAS, "spec": {"rules": [{"name": "r", "type": "internal"}], "context": [5, {"name": 5}]}},
    {**NAS, "spec": {"rules": [{"name": "r", "type": "http", "url": "{{", "body": "}}{{}}"}]}},
    {**NAS, "spec": {"rules": [{"name": "r", "type": "internal", "validation": "{{ nope }}"}]}},
    {**NAS, "spec": {"rules": [{"name": "r", "type": "dns", "host": "h", "server": ["a"]}]}},
]


@pytest.mark.parametrize("document", GARBAGE, ids=[str(i) for i in range(len(GARBAGE))])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_garbage_is_refused_with_a_message_never_a_traceback(
    document: Any, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_text(yaml.safe_dump(document))

    for option in ("-f", "-c"):
        code = main([command, option, str(path)])
        out, err = capsys.readouterr()

        assert code == 2, (option, out, err)
        assert "Traceback" not in out + err and "internal error" not in err
        assert err.strip()


def test_issue_11_typo_with_expected_fail_is_refused_not_a_pass(
    local_targets: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's first case: `expected: fail` and `data.status_code == 200` against an
    endpoint answering 200 once passed validate and ran to PASS; now both refuse it."""
    url = local_targets.http.url("/status/200")
    path = tmp_path / "typo.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                **NAS,
                "spec": {
                    "rules": [
                        {
                            "name": "must-be-blocked",
                            "type": "http",
                            "url": url,
                            "expected": "fail",
                            "validation": "data.status_code == 200",
                        }
                    ]
                },
            }
        )
    )

    validate_code, _, validated = cli_lines(["validate", "-f", str(path)], str(path), capsys)
    run_code, out, _ = cli_lines(["run", "-f", str(path)], str(path), capsys)

    assert validate_code == run_code == 2
    assert validated == [
        "spec.rules[0].validation: data.status_code is not a field of http results "
        "(did you mean data['status-code']?)"
    ]
    result = json.loads(out)["assertions"][0]["results"][0]
    assert result["status"] == "error"
    assert result["message"] == "not run, the rule is invalid: " + validated[0]


def test_run_merges_several_configs_and_runs_a_clashing_context_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def config(name: str, port: int) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(
            json.dumps(
                {
                    "contexts": [{"name": "cfg", "type": "inline", "data": {"port": port}}],
                    "assertions": [
                        {
                            "name": name,
                            "rules": [{"type": "internal", "validation": "cfg.port > 0"}],
                        }
                    ],
                }
            )
        )
        return path

    same_a, same_b, other = config("a", 80), config("b", 80), config("c", 443)

    merged = main(["run", "-c", str(same_a), "-c", str(same_b)])
    output = json.loads(capsys.readouterr().out)
    clash = main(["run", "-c", str(same_a), "-c", str(other)])
    out, err = capsys.readouterr()

    assert merged == 0
    assert [a["name"] for a in output["assertions"]] == ["a", "b"]
    # A context named alike with other data runs in a batch of its own, in the same report.
    assert clash == 0, err
    assert [a["name"] for a in json.loads(out)["assertions"]] == ["a", "c"]
