"""Manifests and habits of Netchecks 0.10 users, through the real CLI (issue 14).

Each manifest here is written in the shape of upstream's examples and e2e test data
(repeated rule names as in the Cilium DNS examples, several assertions in one file
as in the PCI-DSS compliance example, contexts as in the ConfigMap e2e data), pointed
at local servers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml


def _write(tmp_path: Path, *documents: dict[str, Any], name: str = "manifest.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path


def _assertion(name: str, rules: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": rules, **spec},
    }


def _results(stdout: str) -> list[tuple[str, str, str]]:
    document = json.loads(stdout)
    return [
        (a["name"], r["name"], r["status"]) for a in document["assertions"] for r in a["results"]
    ]


def _repeated(listening: int, closed: int) -> dict[str, Any]:
    rules = [
        {"name": "port-check", "type": "tcp", "host": "127.0.0.1", "port": listening},
        {"name": "port-check", "type": "tcp", "host": "127.0.0.1", "port": closed},
        {
            "name": "port-check",
            "type": "tcp",
            "host": "127.0.0.1",
            "port": closed,
            "expected": "fail",
        },
    ]
    return _assertion("ports", rules)


def test_validate_warns_about_repeated_rule_names_and_succeeds(
    cli, tmp_path: Path, tcp_listener: int, closed_port: int
) -> None:
    path = _write(tmp_path, _repeated(tcp_listener, closed_port))
    done = cli("validate", "-f", str(path))
    assert done.returncode == 0, done.stderr
    assert "valid (3 rule(s))" in done.stdout
    assert "warning: spec.rules[1].name: rule name 'port-check' is used before" in done.stderr
    assert "its results are named 'port-check#3'" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_gives_each_repeated_rule_its_own_result(
    cli, tmp_path: Path, tcp_listener: int, closed_port: int
) -> None:
    path = _write(tmp_path, _repeated(tcp_listener, closed_port))
    done = cli("run", "-f", str(path))
    assert done.returncode == 1, done.stderr  # the second rule fails
    assert _results(done.stdout) == [
        ("port-check", "port-check", "pass"),
        ("port-check#2", "port-check#2", "fail"),
        ("port-check#3", "port-check#3", "pass"),
    ]


def test_several_assertions_in_one_file_validate_and_run(
    cli, tmp_path: Path, http_server, closed_port: int
) -> None:
    controls = {"netchecks.io/controls": "pci-dss-v4/1.3.2", "netchecks.io/severity": "critical"}
    egress = _assertion(
        "cde-egress",
        [
            {
                "name": "block-egress",
                "type": "http",
                "url": f"http://127.0.0.1:{closed_port}/",
                "expected": "fail",
                "validate": {"message": "must not reach arbitrary hosts"},
            },
            {
                "name": "allow-processor",
                "type": "http",
                "url": http_server.url("/json"),
                "expected": "pass",
                "validate": {"message": "must reach the processor"},
            },
        ],
        schedule="*/30 * * * *",
    )
    egress["metadata"]["annotations"] = controls
    ingress = _assertion(
        "cde-ingress",
        [
            {
                "name": "block-ingress",
                "type": "http",
                "url": f"http://127.0.0.1:{closed_port}/",
                "expected": "fail",
            }
        ],
        schedule="*/30 * * * *",
    )
    ingress["metadata"]["annotations"] = controls
    path = _write(tmp_path, egress, ingress, name="pci-dss.yaml")
    checked = cli("validate", "-f", str(path))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("valid (") == 2
    done = cli("run", "-f", str(path))
    assert done.returncode == 0, done.stderr + done.stdout
    assert [(rule, status) for _, rule, status in _results(done.stdout)] == [
        ("block-egress", "pass"),
        ("allow-processor", "pass"),
        ("block-ingress", "pass"),
    ]


def test_capitalised_context_and_a_templated_number_in_a_header(
    cli, tmp_path: Path, http_server
) -> None:
    rule = {
        "name": "echo-header",
        "type": "http",
        "url": http_server.url("/echo"),
        "headers": {"X-N": "{{ customData.n }}", "X-Ok": "{{ customData.ok }}"},
        "validate": {
            "pattern": "parse_json(data.body).headers['X-N'] == '5'"
            " && parse_json(data.body).headers['X-Ok'] == 'true'"
        },
    }
    manifest = _assertion(
        "header-n", [rule], context=[{"name": "customData", "inline": {"n": 5, "ok": True}}]
    )
    path = _write(tmp_path, manifest)
    assert cli("validate", "-f", str(path)).returncode == 0
    done = cli("run", "-f", str(path), "--disable-redaction")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _results(done.stdout) == [("echo-header", "echo-header", "pass")]


def test_a_configmap_context_without_name_is_the_configmap_named_like_it(
    cli, tmp_path: Path, http_server, mounted_configmap
) -> None:
    files = mounted_configmap(tmp_path / "cm", {"API_PATH": "/json"})
    rule = {
        "name": "via-cm",
        "type": "http",
        "url": http_server.base_url + "{{ apiSettings.API_PATH }}",
    }
    manifest = _assertion("cm", [rule], context=[{"name": "apiSettings", "configMap": {}}])
    path = _write(tmp_path, manifest)
    assert cli("validate", "-f", str(path)).returncode == 0
    missing = cli("run", "-f", str(path))
    assert missing.returncode == 2
    assert "comes from configMap 'apiSettings'" in missing.stderr
    done = cli("run", "-f", str(path), "--context-dir", f"apiSettings={files}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _results(done.stdout) == [("via-cm", "via-cm", "pass")]


def test_validate_checks_api_version_and_kind(cli, tmp_path: Path) -> None:
    wrong = _assertion("a", [{"name": "r", "type": "internal"}])
    wrong["apiVersion"] = "kopf.dev/v1"
    done = cli("validate", "-f", str(_write(tmp_path, wrong)))
    assert done.returncode == 2
    assert "'kopf.dev/v1' 'NetworkAssertion' is not a NetworkAssertion" in done.stderr
    unknown_kind = _assertion("a", [{"name": "r", "type": "internal"}])
    unknown_kind["kind"] = "NetworkCheck"
    done = cli("validate", "-f", str(_write(tmp_path, unknown_kind, name="k.yaml")))
    assert done.returncode == 2
    assert "is not a NetworkAssertion" in done.stderr


def test_an_http_result_redacts_headers_even_when_the_rule_sets_none(
    cli, tmp_path: Path, http_server
) -> None:
    path = _write(
        tmp_path,
        _assertion("h", [{"name": "plain", "type": "http", "url": http_server.url("/json")}]),
    )
    done = cli("run", "-f", str(path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["assertions"][0]["results"][0]
    assert result["spec"]["headers"] == "REDACTED"
    assert result["data"]["headers"] == "REDACTED"


def test_the_old_command_name_prints_the_old_version_line(cli) -> None:
    done = cli("--version", command="netcheck")
    assert done.returncode == 0
    assert done.stdout.startswith("Netcheck version ")
    assert cli("--version").stdout.startswith("netchecks ")


ODD_ARGUMENTS = [
    ["http", "-h", "Bad", "--url", "http://127.0.0.1:9/"],
    ["http", "--url", ""],
    ["http", "--url", "\x01"],
    ["dns", "--host", ""],
    ["dns", "--host", "a" * 5000],
    ["tcp", "--host", "127.0.0.1", "--port", "-1"],
    ["tcp", "--host", "127.0.0.1", "--port", "99999999999999999999"],
    ["run", "-c", "/nonexistent"],
    ["run", "-f", "/"],
    ["validate", "-f", "/dev/null"],
    ["validate"],
    ["run"],
    ["schema", "nonsense"],
    ["--bogus"],
    [],
]


@pytest.mark.parametrize("argv", ODD_ARGUMENTS, ids=lambda a: " ".join(a)[:40] or "(none)")
def test_odd_arguments_never_give_a_traceback(cli, argv: list[str]) -> None:
    done = cli(*argv, timeout=30)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (0, 1, 2), done.stderr


ODD_FILES = [
    "",
    "---\n---\n",
    "[1, 2]",
    "a: [",
    "\t\tkind: x",
    "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\n",
    "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: a}\nspec: []\n",
    "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: a}\n"
    "spec: {rules: [{name: a, type: dns, host: x}], context: [{name: 5, configMap: 7}]}\n",
    "apiVersion: netchecks.io/v1\nkind: NetworkAssertion\nmetadata: {name: [1]}\n"
    "spec: {rules: [{name: {a: 1}, type: http, url: 1}]}\n",
    "!!python/object:os.system {}",
    "&a [*a]",
    "\xff\xfe",
    "key: " + "[" * 5000,
]


@pytest.mark.parametrize("text", ODD_FILES, ids=lambda t: repr(t)[:30])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_odd_files_never_give_a_traceback(cli, tmp_path: Path, text: str, command: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text, errors="surrogateescape")
    for flag in ("-f", "-c"):
        done = cli(command, flag, str(path), timeout=30)
        assert "Traceback" not in done.stderr + done.stdout, (flag, done.stderr)
        assert "internal error" not in done.stderr, (flag, done.stderr)
        assert done.returncode == 2, (flag, done.stdout, done.stderr)
