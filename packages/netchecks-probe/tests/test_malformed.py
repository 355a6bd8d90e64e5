"""A corpus of malformed inputs: each exits 2 naming the problem, or gives the rule an error.

A rule the validator refuses is not run: it is an ``error`` result with the
validator's message, its neighbours run, and the run exits 2.

Nothing may end in a traceback. The CLI runs in-process here (fast); test_probe_cli.py
runs the real command for exit codes and stream separation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from netchecks_probe.cli import main


@dataclass(frozen=True)
class Case:
    """One malformed input and what must come of it."""

    id: str
    config: Any = None  # a document (dumped as JSON) or raw text
    fragment: str = ""
    #: "exit2": whole input refused; "refused": the first rule refused by the validator
    #: (an error result, exit 2); "error"/"fail": the first rule's status after running.
    outcome: str = "exit2"
    args: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    manifest: bool = False
    suffix: str = ".json"


def rules(*items: Any, contexts: list[Any] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"assertions": [{"name": "a", "rules": list(items)}]}
    if contexts is not None:
        config["contexts"] = contexts
    return config


NAS = "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: x}\n"

CASES = [
    Case("bad-json", '{"assertions": [', "invalid JSON at line 1 column 17"),
    Case(
        "bad-yaml",
        "assertions:\n  - name: a\n   rules: [",
        "invalid YAML: expected <block end>, but found '<block mapping start>' at line 3 column 4",
        suffix=".yaml",
    ),
    Case("not-an-object", "[1, 2]", "a probe config is an object with 'assertions', got a list"),
    Case("a-scalar", '"hello"', "got a string"),
    Case("empty-file", "", "is empty"),
    # A file that never ends (or is huge) is refused after a bounded read, not read to the end.
    Case("endless-config", None, "not a regular file", args=("--config", "/dev/zero")),
    Case("missing-assertions", {}, "assertions: is required"),
    Case(
        "assertions-not-a-list",
        {"assertions": {"a": 1}},
        "assertions: Input should be a valid list",
    ),
    Case(
        "assertion-without-name", {"assertions": [{"rules": []}]}, "assertions[0].name: is required"
    ),
    Case(
        "rules-not-a-list",
        {"assertions": [{"name": "a", "rules": "x"}]},
        "assertions[0].rules: Input should be a valid list",
    ),
    Case(
        "context-named-data",
        rules(contexts=[{"name": "data", "type": "inline"}]),
        "context name 'data' is reserved",
    ),
    Case(
        "context-named-spec",
        rules(contexts=[{"name": "spec", "type": "inline"}]),
        "context name 'spec' is reserved",
    ),
    Case(
        "duplicate-context-names",
        rules(contexts=[{"name": "c", "type": "inline"}, {"name": "c", "type": "inline"}]),
        "context name 'c' is used twice",
    ),
    Case(
        "unknown-context-type",
        rules(contexts=[{"name": "c", "type": "ftp"}]),
        "contexts[0]: unknown type 'ftp'",
    ),
    Case(
        "file-context-without-path",
        rules(contexts=[{"name": "c", "type": "file"}]),
        "contexts[0].path: is required",
    ),
    Case(
        "contexts-not-a-list",
        {"assertions": [], "contexts": {"c": 1}},
        "contexts: Input should be a valid list",
    ),
    Case(
        "second-yaml-document-not-a-config",
        "assertions: []\n---\n- 1\n",
        "config.yaml[1]: (document): a probe config is an object",
        suffix=".yaml",
    ),
    Case(
        "config-is-an-empty-directory",
        None,
        "holds no .yaml, .yml, .json file",
        args=("--config", "{dir}"),
    ),
    Case("config-missing", None, "no such file", args=("--config", "{dir}/nope.json")),
    Case(
        "manifest-of-another-kind",
        "apiVersion: kopf.dev/v1\nkind: KopfPeering\n",
        "apiVersion: 'kopf.dev/v1' 'KopfPeering' is not a NetworkAssertion",
        manifest=True,
    ),
    Case(
        "manifest-without-rules",
        NAS + "spec: {rules: []}\n",
        "spec.rules: List should have at least 1 item",
        manifest=True,
    ),
    Case(
        "manifest-context-with-two-sources",
        NAS
        + "spec:\n  rules: [{name: r, type: internal}]\n"
        + "  context: [{name: c, inline: {}, configMap: {name: m}}]\n",
        "needs exactly one of configMap, secret, inline",
        manifest=True,
    ),
    Case(
        "context-dir-without-path",
        NAS + "spec: {rules: [{name: r, type: internal}]}\n",
        "--context-dir 'cfg': expected NAME=PATH",
        manifest=True,
        args=("--context-dir", "cfg"),
    ),
    Case(
        "context-dir-for-unknown-context",
        NAS + "spec: {rules: [{name: r, type: internal}]}\n",
        "--context-dir cfg=...: no configMap context of that name in the manifests",
        manifest=True,
        args=("--context-dir", "cfg=/tmp"),
    ),
    # One bad rule: that rule errors, the run goes on.
    Case("unknown-rule-type", rules({"type": "smtp"}), "unknown type 'smtp'", "refused"),
    Case("rule-without-type", rules({"host": "x"}), "needs a 'type' field", "refused"),
    Case(
        "rule-not-an-object",
        rules("tcp://x"),
        "assertions[0].rules[0]: must be an object, got a string",
        "refused",
    ),
    Case(
        "missing-required-field",
        rules({"type": "tcp", "host": "x"}),
        "rules[0].port: is required",
        "refused",
    ),
    Case(
        "wrong-field-type",
        rules({"type": "tcp", "host": "x", "port": "abc"}),
        "rules[0].port: Input should be a valid integer",
        "refused",
    ),
    Case(
        "negative-timeout",
        rules({"type": "internal", "timeout": -1}),
        "rules[0].timeout: Input should be greater than 0",
        "refused",
    ),
    Case(
        "bad-expected",
        rules({"type": "internal", "expected": "sometimes"}),
        "rules[0].expected: Input should be 'pass' or 'fail'",
        "refused",
    ),
    Case(
        "bad-record-type",
        rules({"type": "dns", "host": "x", "record-type": "XX"}),
        "record-type: must be one of",
        "refused",
    ),
    Case(
        "pattern-not-a-string",
        rules({"type": "internal", "validate": {"pattern": 5}}),
        "validate.pattern: Input should be a valid string",
        "refused",
    ),
    Case(
        "bad-cel-syntax",
        rules({"type": "internal", "validation": "data.x &&& true"}),
        "rules[0].validation: invalid CEL at line 1",
        "refused",
    ),
    Case(
        "bad-cel-in-validate-pattern",
        rules({"type": "internal", "validate": {"pattern": "(("}}),
        "rules[0].validate.pattern: invalid CEL",
        "refused",
    ),
    Case(
        "bad-template-syntax",
        rules({"type": "http", "url": "http://{{ 1 + }}/"}),
        "rules[0].url: template '{{ 1 + }}': invalid CEL",
        "refused",
    ),
    Case(
        "template-of-missing-context",
        rules({"type": "http", "url": "http://{{ cfg.host }}/"}),
        "template '{{ cfg.host }}': unknown name 'cfg'",
        "refused",
    ),
    Case(
        "template-of-missing-key",
        rules(
            {"type": "http", "url": "{{ c.nope }}"},
            contexts=[{"name": "c", "type": "inline", "data": {}}],
        ),
        "failed: no such member in mapping: 'nope'",
        "error",
    ),
    Case(
        "rule-using-a-missing-file-context",
        rules(
            {"type": "internal", "validation": "f.x == 1"},
            contexts=[{"name": "f", "type": "file", "path": "/nonexistent.json"}],
        ),
        "uses context 'f', which could not be loaded: "
        "context 'f': file /nonexistent.json does not exist",
        "error",
    ),
    Case(
        "rule-using-a-directory-context-that-is-a-file",
        rules(
            {"type": "http", "url": "{{ d.url }}"},
            contexts=[{"name": "d", "type": "directory", "path": "{dir}/plain"}],
        ),
        "plain is not a directory",
        "error",
        files={"plain": "x"},
    ),
    Case(
        "rule-using-a-garbage-file-context",
        rules(
            {"type": "internal", "validation": "g.x == 1"},
            contexts=[{"name": "g", "type": "file", "path": "{dir}/g.json"}],
        ),
        "is neither JSON nor YAML",
        "error",
        files={"g.json": "{: nope: ["},
    ),
    # A valid rule that hits a runtime error could not be judged: an error that says why.
    Case(
        "cel-runtime-error",
        rules(
            {"type": "internal", "validation": "c.count > 1"},
            contexts=[{"name": "c", "type": "inline", "data": {}}],
        ),
        "no such member in mapping: 'count'",
        "error",
    ),
    Case(
        "unknown-data-field",
        rules({"type": "internal", "validation": "data.count > 1"}),
        "data.count is not a field of internal results",
        "refused",
    ),
    Case(
        "cel-type-error",
        rules({"type": "internal", "validation": "1 + 'a' == 2"}),
        "no matching overload",
        "error",
    ),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_is_refused_or_errors_with_a_clear_message(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in case.files.items():
        (tmp_path / name).write_text(text)
    source = tmp_path / ("nas.yaml" if case.manifest else f"config{case.suffix}")
    if case.config is not None:
        text = case.config if isinstance(case.config, str) else json.dumps(case.config)
        source.write_text(text.replace("{dir}", str(tmp_path)))
    elif not case.args:
        source.write_text("")
    args = [a.replace("{dir}", str(tmp_path)) for a in case.args]
    if not any(a in {"--config", "-c"} for a in args):
        args = ["-f" if case.manifest else "--config", str(source), *args]
    code = main(["run", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if case.outcome == "exit2":
        assert code == 2
        assert out == "" or json.loads(out)["assertions"] == []  # nothing ran
        assert case.fragment in err
        assert len(err.strip().splitlines()) == 1, err
        return
    result = json.loads(out)["assertions"][0]["results"][0]
    if case.outcome == "refused":
        assert code == 2
        assert result["status"] == "error"
        assert result["message"].startswith("not run, the rule is invalid: ")
        assert case.fragment in err
    else:
        assert code == 1
        assert result["status"] == case.outcome
    assert case.fragment in result["message"]
