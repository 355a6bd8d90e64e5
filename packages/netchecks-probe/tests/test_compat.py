"""Compatibility: configs in the existing Netchecks format give the documented fields and verdicts.

Run with the real CLI against real servers (tools/targets: HTTP, dnsmasq, TCP).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.targets.dns import MISSING, WWW, WWW_A
from tools.targets.http import JSON_BODY


def _results(stdout: str) -> dict[str, dict[str, Any]]:
    document = json.loads(stdout)
    assert document["type"] == "netcheck-output"
    assert set(document["metadata"]) >= {"creationTimestamp", "version"}
    return {a["name"]: a["results"][0] for a in document["assertions"]}


def test_old_format_config_with_contexts_templates_and_expected_fail(
    cli,
    write_json,
    mounted_configmap,
    tmp_path: Path,
    http_server,
    closed_port: int,
    tcp_listener: int,
) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"path": "/json", "want": "1.2.3"}))
    cfg = mounted_configmap(
        tmp_path / "cfg", {"base": http_server.base_url, "port": str(tcp_listener)}
    )
    config = {
        "contexts": [
            {"name": "creds", "type": "inline", "data": {"token": "tok-abc-123"}},
            {"name": "settings", "type": "file", "path": str(tmp_path / "settings.json")},
            {"name": "cfg", "type": "directory", "path": str(cfg)},
        ],
        "assertions": [
            {
                "name": "http-validation",
                "rules": [
                    {
                        "name": "get-json",
                        "type": "http",
                        "url": "{{ cfg.base }}{{ settings.path }}",
                        "expected": "pass",
                        "validation": "data['status-code'] == 200",
                    }
                ],
            },
            {
                "name": "http-validate-pattern",
                "rules": [
                    {
                        "name": "body-version",
                        "type": "http",
                        "url": http_server.url("/json"),
                        "validate": {
                            "pattern": "parse_json(data.body).version == settings.want",
                            "message": "the API reports its version",
                        },
                    }
                ],
            },
            {
                "name": "header-template",
                "rules": [
                    {
                        "name": "bearer",
                        "type": "http",
                        "url": http_server.url("/echo"),
                        "headers": {"Authorization": "Bearer {{ creds.token }}"},
                        "validation": "parse_json(data.body).headers.Authorization"
                        " == 'Bearer ' + creds.token",
                    }
                ],
            },
            {
                "name": "default-rule",
                "rules": [{"name": "json", "type": "http", "url": http_server.url("/json")}],
            },
            {
                "name": "http-expected-fail",
                "rules": [
                    {
                        "name": "server-error",
                        "type": "http",
                        "url": http_server.url("/status/500"),
                        "expected": "fail",
                    }
                ],
            },
            {
                "name": "tcp-from-configmap",
                "rules": [
                    {"name": "open", "type": "tcp", "host": "127.0.0.1", "port": "{{ cfg.port }}"}
                ],
            },
            {
                "name": "tcp-blocked",
                "rules": [
                    {
                        "name": "closed",
                        "type": "tcp",
                        "host": "127.0.0.1",
                        "port": closed_port,
                        "expected": "fail",
                    }
                ],
            },
            {
                "name": "internal-context-check",
                "rules": [
                    {
                        "name": "cfg-keys",
                        "type": "internal",
                        "validation": "'base' in cfg && size(cfg) == 2",
                    }
                ],
            },
        ],
    }
    done = cli("run", "--config", str(write_json(config)))
    assert done.returncode == 0, done.stdout + done.stderr
    results = _results(done.stdout)
    assert all(r["status"] == "pass" for r in results.values()), results

    get_json = results["http-validation"]
    assert get_json["name"] == "get-json"
    assert get_json["spec"]["type"] == "http"
    assert get_json["spec"]["url"] == http_server.url("/json")
    assert get_json["spec"]["pattern"] == "data['status-code'] == 200"
    assert get_json["data"]["status-code"] == 200
    assert json.loads(get_json["data"]["body"]) == JSON_BODY
    assert {"startTimestamp", "endTimestamp", "headers"} <= set(get_json["data"])

    assert results["http-validate-pattern"]["message"] == "the API reports its version"
    bearer = results["header-template"]
    assert bearer["spec"]["headers"] == "REDACTED"
    assert bearer["data"]["headers"] == "REDACTED"
    assert results["default-rule"]["spec"]["pattern"] == "data['status-code'] in [200, 201]"
    assert results["http-expected-fail"]["data"]["status-code"] == 500
    assert results["tcp-from-configmap"]["spec"]["port"] == tcp_listener
    assert results["tcp-from-configmap"]["data"]["connected"] is True
    assert results["tcp-blocked"]["data"]["connected"] is False
    assert results["tcp-blocked"]["spec"]["pattern"].startswith("data.connected == true")


def test_disable_redaction_keeps_headers_but_never_copies_contexts(
    cli, write_json, http_server
) -> None:
    config = {
        "contexts": [
            {"name": "creds", "type": "inline", "data": {"token": "tok-xyz-789"}, "secret": True}
        ],
        "assertions": [
            {
                "name": "a",
                "rules": [
                    {
                        "name": "r",
                        "type": "http",
                        "url": http_server.url("/echo") + "?t={{ creds.token }}",
                        "headers": {"X-Token": "{{ creds.token }}"},
                    }
                ],
            }
        ],
    }
    path = str(write_json(config))
    redacted = cli("run", "--config", path)
    assert "tok-xyz-789" not in redacted.stdout
    result = _results(redacted.stdout)["a"]
    assert result["spec"]["url"].endswith("?t=REDACTED")
    kept = cli("run", "--config", path, "--disable-redaction")
    result = _results(kept.stdout)["a"]
    assert result["spec"]["headers"] == {"X-Token": "tok-xyz-789"}
    assert "creds" not in result and "creds" not in json.loads(kept.stdout)


def test_dns_rules_in_the_old_format(cli, write_json, dns_server) -> None:
    config = {
        "assertions": [
            {
                "name": "resolves",
                "rules": [
                    {"name": "www", "type": "dns", "host": WWW, "server": dns_server.address}
                ],
            },
            {
                "name": "blocked",
                "rules": [
                    {
                        "name": "missing",
                        "type": "dns",
                        "host": MISSING,
                        "server": dns_server.address,
                        "expected": "fail",
                    }
                ],
            },
            {
                "name": "custom",
                "rules": [
                    {
                        "name": "a-record",
                        "type": "dns",
                        "host": WWW,
                        "server": dns_server.address,
                        "validation": f"'{WWW_A}' in data.A && data['response-code'] == 'NOERROR'",
                    }
                ],
            },
        ]
    }
    done = cli("run", "--config", str(write_json(config)))
    assert done.returncode == 0, done.stdout + done.stderr
    results = _results(done.stdout)
    www = results["resolves"]
    assert www["data"]["A"] == [WWW_A]
    assert www["spec"]["nameserver"] == dns_server.address
    assert www["spec"]["pattern"].startswith("data['response-code'] == 'NOERROR'")
    assert results["blocked"]["data"]["response-code"] == "NXDOMAIN"
    assert results["custom"]["status"] == "pass"


def test_single_check_commands_with_the_familiar_flags(cli, http_server, dns_server) -> None:
    http = cli(
        "http",
        "--url",
        http_server.url("/echo"),
        "--method",
        "post",
        "-h",
        "X-Auth: a:b:c",
        "--validation-rule",
        "parse_json(data.body).headers['X-Auth'] == 'a:b:c'",
        "-v",
    )
    assert http.returncode == 0, http.stdout + http.stderr
    assert json.loads(http.stdout)["spec"]["method"] == "post"
    failing = cli("http", "--url", http_server.url("/status/503"), "--should-fail", "-t", "5")
    assert failing.returncode == 0
    dns = cli("dns", "--host", WWW, "--server", dns_server.address, "--type", "A")
    assert dns.returncode == 0, dns.stdout + dns.stderr
    assert json.loads(dns.stdout)["data"]["A"] == [WWW_A]
