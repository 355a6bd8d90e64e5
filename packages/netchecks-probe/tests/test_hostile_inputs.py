"""Hostile configs and contexts: deep nesting, special files, slow contexts.

Each is a clear error (exit 2 for the config itself, the rule's error for a context),
never a traceback or a hang.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from netchecks_probe.inputs import MAX_INPUT_BYTES

from tools.probe_testing import output_of

RULE = {"name": "r", "type": "internal", "validation": "true"}


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _context_and_two_rules(write_json, context: dict[str, Any], validation: str) -> Path:
    """A config whose rule ``uses`` reads ``context`` and whose rule ``r`` does not."""
    rules = [{**RULE, "name": "uses", "validation": validation}, RULE]
    assertions = [{"name": "a", "rules": rules}]
    config: Path = write_json({"contexts": [context], "assertions": assertions})
    return config


def _run_json(cli, path: Path, *args: str) -> tuple[Any, str, int]:
    done = cli("run", "--config", str(path), *args, timeout=60)
    assert "Traceback" not in done.stderr
    document = output_of(done) if done.stdout.strip() else None
    return document, done.stderr, done.returncode


@pytest.mark.parametrize("where", ["inline-context", "rule-field"])
@pytest.mark.parametrize("depth", [150, 1200])
def test_deeply_nested_config_is_refused_with_exit_2(cli, tmp_path: Path, where, depth) -> None:
    rule: dict[str, Any] = dict(RULE)
    config: dict[str, Any] = {"assertions": [{"name": "a", "rules": [rule]}]}
    if where == "inline-context":
        config["contexts"] = [{"name": "c", "type": "inline", "data": "DEEP"}]
    else:
        rule["extra"] = "DEEP"
    path = tmp_path / "config.json"
    # json.dumps itself cannot write 1,200 levels: splice them in as text.
    path.write_text(
        json.dumps(config).replace(
            '"DEEP"',
            json.dumps(_nested(50)).replace('"bottom"', "[" * (depth - 50) + "]" * (depth - 50)),
        )
    )

    document, stderr, code = _run_json(cli, path)

    assert code == 2 and document is None
    assert "nested more than 100 levels" in stderr


def test_validate_refuses_deep_nesting_too(cli, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"assertions": [{"name": "a", "rules": [' + "[" * 1200 + "]" * 1200 + "]}]}")

    done = cli("validate", "--config", str(path), timeout=60)

    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "nested more than 100 levels" in done.stderr


def test_deep_file_context_fails_only_the_rules_using_it(cli, write_json, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 1200 + "]" * 1200)
    context = {"name": "deep", "type": "file", "path": str(deep)}
    config = _context_and_two_rules(write_json, context, "size(deep) > 0")

    document, _stderr, _code = _run_json(cli, config)

    uses, fine = document["assertions"][0]["results"]
    assert uses["status"] == "error" and "nested more than" in uses["message"]
    assert fine["status"] == "pass"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_file_context_on_a_non_regular_file_is_refused(cli, write_json, tmp_path, kind) -> None:
    if kind == "fifo":
        special = tmp_path / "fifo"
        os.mkfifo(special)  # nobody writes: opening it to read would block forever
    else:
        special = Path("/dev/zero")  # reading it never ends
    context = {"name": "c", "type": "file", "path": str(special)}
    config = _context_and_two_rules(write_json, context, "size(c) > 0")

    document, _stderr, _code = _run_json(cli, config)

    uses, fine = document["assertions"][0]["results"]
    assert uses["status"] == "error"
    assert "not a regular file" in uses["message"]
    assert fine["status"] == "pass"


@pytest.mark.timeout(60)
def test_contexts_not_loaded_by_the_run_deadline_fail_their_rules(cli, write_json) -> None:
    # Each of these contexts spends its whole CEL budget (1 s) while loading.
    slow = "{{ n.map(a, n.map(b, n.map(c, a + b + c))) }}"
    numbers = {"name": "n", "type": "inline", "data": list(range(100))}
    contexts = [numbers] + [
        {"name": f"slow{i}", "type": "inline", "data": {"v": slow}} for i in range(8)
    ]
    rules = [{**RULE, "name": f"uses{i}", "validation": f"has(slow{i}.v)"} for i in range(8)]
    config = write_json({"contexts": contexts, "assertions": [{"name": "a", "rules": rules}]})

    document, _stderr, _code = _run_json(cli, config, "--run-timeout", "3")

    messages = [r["message"] for r in document["assertions"][0]["results"]]
    assert all(r["status"] == "error" for r in document["assertions"][0]["results"])
    assert any("deadline passed" in message for message in messages)


@pytest.mark.timeout(60)
def test_a_secret_key_pointing_outside_its_directory_is_refused_without_hanging(
    cli, write_json, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not-for-the-probe")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "token").symlink_to(outside)
    context = {"name": "s", "type": "directory", "path": str(secret), "secret": True}
    config = _context_and_two_rules(write_json, context, "s.token != ''")

    document, stderr, _ = _run_json(cli, config)

    uses, fine = document["assertions"][0]["results"]
    assert uses["status"] != "pass"
    assert fine["status"] == "pass"
    assert "points outside" in stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "too-large"])
def test_an_input_file_that_is_special_or_too_large_is_refused(
    cli, tmp_path: Path, command: str, kind: str
) -> None:
    if kind == "fifo":
        source = tmp_path / "fifo"
        os.mkfifo(source)  # nobody writes: opening it to read would block forever
    elif kind == "dev-zero":
        source = Path("/dev/zero")  # reading it never ends
    else:
        source = tmp_path / "big.yaml"
        source.write_text("# padding\n" * (2 * 1024 * 1024))  # 20 MiB of comments

    done = cli(command, "-f", str(source))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    expected = "larger than" if kind == "too-large" else "not a regular file"
    assert expected in done.stderr


@pytest.mark.timeout(60)
def test_stdin_longer_than_the_input_bound_is_refused_after_a_bounded_read(cli) -> None:
    done = cli("validate", "--config", "-", stdin=" " * (MAX_INPUT_BYTES + 1), timeout=50)

    assert done.returncode == 2
    assert f"stdin: is larger than {MAX_INPUT_BYTES} bytes" in done.stderr
    assert "Traceback" not in done.stderr
