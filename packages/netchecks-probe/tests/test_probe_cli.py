"""The real ``netchecks`` command: exit codes, stdout/stderr separation, every sub-command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netchecks_probe.single_checks import SINGLE_CHECKS, parse_headers, rule_from_flags

from tools.probe_testing import results_of

PASSING = {"assertions": [{"name": "ok", "rules": [{"name": "t", "type": "internal"}]}]}
FAILING = {
    "assertions": [
        {"name": "ok", "rules": [{"name": "t", "type": "internal"}]},
        {"name": "bad", "rules": [{"name": "f", "type": "internal", "validation": "false"}]},
    ]
}


def test_all_passing_exits_0_with_one_compact_json_line(cli, write_json) -> None:
    done = cli("run", "--config", str(write_json(PASSING)))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0])
    assert document["type"] == "netcheck-output"
    assert document["assertions"][0]["results"][0]["status"] == "pass"
    assert done.stderr == ""


def test_a_failing_rule_exits_1_and_exit_zero_exits_0(cli, write_json) -> None:
    path = str(write_json(FAILING))
    assert cli("run", "--config", path).returncode == 1
    done = cli("run", "--config", path, "--exit-zero")
    assert done.returncode == 0
    assert json.loads(done.stdout)["assertions"][1]["results"][0]["status"] == "fail"


def test_an_erroring_rule_exits_1_and_still_writes_results(cli, write_json) -> None:
    rule = {"type": "internal", "validation": "c.missing == 1"}
    config = {
        "contexts": [{"name": "c", "type": "inline", "data": {}}],
        "assertions": [{"name": "a", "rules": [rule, {"type": "internal"}]}],
    }
    done = cli("run", "--config", str(write_json(config)))
    assert done.returncode == 1
    statuses = [r["status"] for r in json.loads(done.stdout)["assertions"][0]["results"]]
    assert statuses[1] == "pass"


def test_an_invalid_rule_is_not_run_the_others_are_and_the_run_exits_2(cli, write_json) -> None:
    config = {"assertions": [{"name": "a", "rules": [{"type": "nope"}, {"type": "internal"}]}]}
    done = cli("run", "--config", str(write_json(config)))
    assert done.returncode == 2
    results = json.loads(done.stdout)["assertions"][0]["results"]
    assert [r["status"] for r in results] == ["error", "pass"]
    assert "assertions[0].rules[0]: unknown type 'nope'" in results[0]["message"]
    assert "assertions[0].rules[0]: unknown type 'nope'" in done.stderr


def test_unreadable_config_exits_2_with_one_line_and_no_traceback(cli, tmp_path: Path) -> None:
    done = cli("run", "--config", str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[0] == f"{tmp_path / 'missing.json'}: no such file"


def test_verbose_progress_goes_to_stderr_and_the_document_stays_last_on_stdout(
    cli, write_json
) -> None:
    done = cli("run", "-v", "--config", str(write_json(FAILING)))
    assert "netchecks: fail  bad/f: the rule is false" in done.stderr
    assert "netchecks: pass  ok/t" in done.stderr
    json.loads(done.stdout.splitlines()[-1])


def test_config_from_stdin_in_yaml(cli) -> None:
    config = "assertions:\n  - name: y\n    rules:\n      - {type: internal, validation: 'true'}\n"
    done = cli("run", "--config", "-", stdin=config)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["assertions"][0]["name"] == "y"


def test_table_output_summarises_each_rule(cli, write_json) -> None:
    done = cli("run", "--config", str(write_json(FAILING)), "--output", "table")
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["ASSERTION", "RULE", "TYPE", "STATUS", "REASON", "DURATION"]
    assert lines[1].split()[:4] == ["ok", "t", "internal", "PASS"]
    assert lines[2].split()[:4] == ["bad", "f", "internal", "FAIL"]
    assert lines[-1] == "1 pass, 1 fail, 0 error"


@pytest.mark.parametrize(
    ("command", "line"), [("netchecks", "netchecks "), ("netcheck", "Netcheck version ")]
)
def test_version_under_both_names(cli, command: str, line: str) -> None:
    done = cli("--version", command=command)
    assert done.returncode == 0
    assert done.stdout.startswith(line)


def test_the_old_command_name_runs_configs_too(cli, write_json) -> None:
    assert cli("run", "--config", str(write_json(PASSING)), command="netcheck").returncode == 0


def test_run_a_manifest_with_its_configmap_and_secret_dirs(cli, tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "greeting").write_text("hello")
    (tmp_path / "sec").mkdir()
    (tmp_path / "sec" / "password").write_text("hunter2-secret\n")
    manifest = tmp_path / "nas.yaml"
    manifest.write_text(
        """
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata: {name: demo}
spec:
  context:
    - {name: cfg, configMap: {name: my-config}}
    - {name: creds, secret: {name: my-secret}}
    - {name: inl, inline: {want: hello}}
  rules:
    - name: greets
      type: internal
      validate: {pattern: "cfg.greeting == inl.want"}
    - name: leaks
      type: internal
      validate: {pattern: "creds.password.startsWith('x')", message: "got {{ creds.password }}"}
"""
    )
    done = cli(
        "run",
        "-f",
        str(manifest),
        "--context-dir",
        f"cfg={tmp_path / 'cfg'}",
        "--secret-dir",
        f"creds={tmp_path / 'sec'}",
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert [a["name"] for a in document["assertions"]] == ["greets", "leaks"]
    assert document["assertions"][0]["results"][0]["status"] == "pass"
    leak = document["assertions"][1]["results"][0]
    assert leak["status"] == "fail"
    assert "hunter2-secret" not in done.stdout
    assert leak["message"].startswith("got REDACTED")


def test_a_manifest_without_its_configmap_dir_exits_2_and_says_which_option(
    cli, tmp_path: Path
) -> None:
    manifest = tmp_path / "nas.yaml"
    manifest.write_text(
        "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: x}\n"
        "spec:\n  context: [{name: cfg, configMap: {name: c}}]\n"
        "  rules: [{name: r, type: internal}]\n"
    )
    done = cli("run", "-f", str(manifest))
    assert done.returncode == 2
    assert "give its files with --context-dir cfg=PATH" in done.stderr


def test_a_manifest_with_placement_runs_once_here_and_says_placement_is_in_cluster(
    cli, tmp_path: Path
) -> None:
    manifest = tmp_path / "nas.yaml"
    manifest.write_text(
        "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: x}\n"
        "spec:\n  placement: {nodes: {maxConcurrent: 2}}\n"
        "  rules: [{name: r, type: internal}]\n"
    )
    done = cli("run", "-f", str(manifest))
    assert done.returncode == 0, done.stderr
    assert "spec.placement applies in-cluster only; the rules run once, here" in done.stderr
    document = json.loads(done.stdout.splitlines()[-1])
    assert [len(a["results"]) for a in document["assertions"]] == [1]
    assert document["assertions"][0]["results"][0]["status"] == "pass"


def test_validate_reports_every_problem_with_its_location(cli, write_json) -> None:
    config = {
        "contexts": [{"name": "c", "type": "inline", "data": {"x": "{{ nope.y }}"}}],
        "assertions": [
            {
                "name": "a",
                "rules": [
                    {"type": "tcp", "host": "h"},
                    {"type": "internal", "validation": "data.x =="},
                    {"type": "http", "url": "http://{{ c.host + }}/"},
                    {"type": "internal", "validate": {"pattern": "other.x == 1"}},
                    {"type": "dns", "host": "x", "port": "{{ c.port }}"},
                ],
            }
        ],
    }
    done = cli("validate", "--config", str(write_json(config)))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert any(
        "contexts[0].data.x: template '{{ nope.y }}': unknown name 'nope'" in line for line in lines
    )
    assert any("assertions[0].rules[0].port: is required" in line for line in lines)
    assert any("assertions[0].rules[1].validation: invalid CEL" in line for line in lines)
    assert any(
        "assertions[0].rules[2].url: template '{{ c.host + }}': invalid CEL" in line
        for line in lines
    )
    assert any(
        "assertions[0].rules[3].validate.pattern: unknown name 'other'" in line for line in lines
    )
    assert not any("rules[4]" in line for line in lines)
    assert lines[-1].endswith("5 problem(s)")


def test_validate_accepts_a_good_config_and_runs_nothing(cli, write_json, tmp_path: Path) -> None:
    marker = tmp_path / "never-read"
    config = {
        "contexts": [{"name": "f", "type": "file", "path": str(marker)}],
        "assertions": [{"name": "a", "rules": [{"type": "internal", "validation": "f.x == 1"}]}],
    }
    done = cli("validate", "-c", str(write_json(config)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("valid (1 rule(s))")


def test_schema_command_prints_json_schemas(cli) -> None:
    config = json.loads(cli("schema", "config").stdout)
    output = json.loads(cli("schema", "output").stdout)
    assertion = json.loads(cli("schema", "assertion").stdout)
    assert "assertions" in config["properties"]
    assert "Rule" in config["$defs"]
    assert output["properties"]["type"]["const"] == "netcheck-output"
    assert assertion["properties"]["kind"]["const"] == "NetworkAssertion"


def test_schema_help_tells_how_to_associate_the_schema_with_an_editor(cli) -> None:
    done = cli("schema", "--help")
    assert done.returncode == 0
    assert "assertion: a NetworkAssertion manifest" in " ".join(done.stdout.split())
    assert "# yaml-language-server: $schema=./netchecks-assertion.schema.json" in done.stdout


def test_schema_of_an_unknown_document_is_refused_without_a_traceback(cli) -> None:
    done = cli("schema", "policy")
    assert done.returncode == 2
    assert "invalid choice: 'policy'" in done.stderr
    assert "Traceback" not in done.stderr


def test_tcp_command_against_a_listener_and_a_closed_port(
    cli, tcp_listener: int, closed_port: int
) -> None:
    ok = cli("tcp", "--host", "127.0.0.1", "--port", str(tcp_listener), "-t", "5")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["data"]["connected"] is True
    blocked = cli("tcp", "--host", "127.0.0.1", "--port", str(closed_port), "--should-fail")
    assert blocked.returncode == 0, blocked.stdout
    result = json.loads(blocked.stdout)
    assert result["spec"]["expected"] == "fail"
    assert result["data"]["connected"] is False
    assert cli("tcp", "--host", "127.0.0.1", "--port", str(closed_port)).returncode == 1


def test_single_check_command_with_a_bad_flag_exits_2(cli) -> None:
    done = cli("tcp", "--host", "x", "--port", "not-a-number")
    assert done.returncode == 2
    assert "invalid int value" in done.stderr
    assert "Traceback" not in done.stderr


def test_header_values_may_contain_colons() -> None:
    assert parse_headers(["Authorization: Bearer a:b:c", "X-Empty:"]) == {
        "Authorization": "Bearer a:b:c",
        "X-Empty": "",
    }


def test_http_flags_become_rule_fields() -> None:
    values = {
        "url": "https://x/",
        "headers": ["A: 1"],
        "verify-tls-cert": True,
        "follow-redirects": False,
        "ca-bundle": "/ca.pem",
        "method": None,
    }
    rule = rule_from_flags(SINGLE_CHECKS["http"], values)
    assert rule == {
        "name": "http",
        "type": "http",
        "url": "https://x/",
        "headers": {"A": "1"},
        "verify-tls-cert": False,
        "ca-bundle": "/ca.pem",
    }


ROOT = Path(__file__).resolve().parents[3]
EXIT_2 = "the input is wrong: an unreadable file or any invalid rule"


@pytest.mark.parametrize("command", [(), ("run",), ("validate",)])
def test_help_documents_the_exit_codes_as_the_readme_and_docs_do(cli, command) -> None:
    done = cli(*command, "--help")
    text = " ".join(done.stdout.split())
    assert "0 every rule passed" in text
    assert "1 a rule failed or could not be judged" in text
    assert f"2 {EXIT_2}" in text
    for doc in ("README.md", "docs/concepts.md"):
        assert EXIT_2 in " ".join((ROOT / doc).read_text().split()), doc


def test_a_header_without_a_colon_is_a_usage_error_not_a_traceback(cli) -> None:
    done = cli("http", "--url", "http://127.0.0.1:9/", "-h", "Bad")
    assert done.returncode == 2
    assert "header 'Bad': expected NAME:VALUE" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_single_check_with_an_unknown_data_field_is_refused_before_running(cli) -> None:
    done = cli(
        "http", "--url", "http://127.0.0.1:9/", "--validation-rule", "data.status_code == 200"
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "validation: data.status_code is not a field of http results" in done.stderr


@pytest.mark.timeout(60)
def test_open_port_without_a_banner_is_never_a_pass_for_expected_fail(
    cli, write_json, silent_server
) -> None:
    rule = {
        "name": "ssh-blocked",
        "type": "tcp",
        "host": "127.0.0.1",
        "port": silent_server.port,
        "expect": "SSH-",
        "timeout": 0.5,
        "expected": "fail",
    }
    config = write_json({"assertions": [{"name": "a", "rules": [rule]}]})
    for _ in range(5):
        done = cli("run", "--config", str(config), timeout=30)
        result = results_of(done)[0]

        assert result["data"]["connected"] is True
        assert result["data"]["reason"] == "banner-timeout"
        assert result["status"] != "pass"


@pytest.mark.parametrize("seconds", ["inf", "nan", "1e308", "-1", "0"])
def test_a_run_timeout_that_is_not_a_usable_number_is_a_usage_error(cli, seconds: str) -> None:
    done = cli("tcp", "--host", "127.0.0.1", "--port", "9", "--run-timeout", seconds, timeout=30)

    assert done.returncode == 2, done.stderr
    assert "--run-timeout" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_params_nested_past_the_depth_bound_are_a_usage_error_not_a_traceback(cli) -> None:
    deep = "[" * 5000 + "]" * 5000
    done = cli(
        "postgres", "--dsn", "postgresql://127.0.0.1:9/x", "--query", "select 1", "--params", deep
    )

    assert done.returncode == 2
    assert "--params: the data is nested more than 100 levels deep" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_validate_skips_kubernetes_builtins_beside_assertions_but_not_other_kinds(
    cli, tmp_path: Path
) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
---
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata: {name: ok}
spec:
  rules: [{name: t, type: internal}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
"""
    )
    done = cli("validate", "-f", str(manifest))

    assert done.returncode == 2
    assert f"{manifest}[3]: apiVersion: 'example.com/v1' 'Widget' is not a NetworkAssertion" in (
        done.stderr
    )
    assert "[0]" not in done.stderr and "[1]" not in done.stderr


def test_the_version_is_the_installed_distributions() -> None:
    from importlib import metadata

    from netchecks_probe.version import probe_version

    assert probe_version() == metadata.version("netchecks-probe")
