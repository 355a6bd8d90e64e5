"""``netchecks run -f deploy/ -R``: many manifests in many namespaces, their contexts from
``--context-root`` (a tree mirroring ConfigMaps and Secrets), one report and exit code.

Real HTTP server on loopback (tools/targets); Secret values never in any output format.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import junitparser
import pytest

from tools.targets.http import HttpServer

#: The ``cli`` fixture (conftest.py): the installed command.
CliRunner = Callable[..., subprocess.CompletedProcess[str]]

#: Each namespace's Secret ``api-token``: sent as a header, echoed back by the server.
TOKENS = {"default": "tok-dddd-5e6f70", "team-a": "tok-aaaa-7f3c1e", "team-b": "tok-bbbb-92d04a"}


def _manifest(namespace: str | None, name: str) -> str:
    """A NetworkAssertion whose contexts are named ``cfg`` and ``creds`` in every
    namespace: each needs its own namespace's objects."""
    namespace_line = f"  namespace: {namespace}\n" if namespace else ""
    return f"""\
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata:
  name: {name}
{namespace_line}spec:
  context:
    - {{name: cfg, configMap: {{name: settings}}}}
    - {{name: creds, secret: {{name: api-token}}}}
  rules:
    - name: {name}-reaches-api
      type: http
      url: "{{{{ cfg.base }}}}{{{{ cfg.path }}}}"
      headers: {{Authorization: "Bearer {{{{ creds.token }}}}"}}
      validate:
        pattern: "data['status-code'] == 200 && data.body.contains('Bearer ' + creds.token)"
        message: "token {{{{ creds.token }}}}"
"""


def _tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _deploy(tmp_path: Path, base_url: str) -> tuple[Path, Path]:
    deploy, contexts = tmp_path / "deploy", tmp_path / "contexts"
    _tree(
        deploy,
        {
            "team-a/assertions.yaml": _manifest("team-a", "a"),
            "team-b/assertions.yaml": _manifest("team-b", "b"),
            "shared.yaml": _manifest(None, "d"),
        },
    )
    # Only team-b's ConfigMap sends its rule to a path that answers 503: that rule fails.
    paths = {"default": "/echo", "team-a": "/echo", "team-b": "/status/503"}
    files = {}
    for namespace, token in TOKENS.items():
        files[f"{namespace}/configmaps/settings/base"] = base_url
        files[f"{namespace}/configmaps/settings/path"] = paths[namespace]
        files[f"{namespace}/secrets/api-token/token"] = token
    _tree(contexts, files)
    return deploy, contexts


@pytest.fixture
def run(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """``netchecks run ARGS`` in the test's directory."""
    return lambda *args, **options: cli("run", *args, cwd=tmp_path, timeout=90, **options)


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: r["status"] for a in document["assertions"] for r in a["results"]}


def test_every_namespace_reads_its_own_objects_in_one_report(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    deploy, contexts = _deploy(tmp_path, http_server.base_url)
    done = run("-f", str(deploy), "-R", "--context-root", str(contexts))
    assert done.returncode == 1, done.stderr
    assert _statuses(json.loads(done.stdout)) == {
        "d-reaches-api": "pass",
        "a-reaches-api": "pass",
        "b-reaches-api": "fail",
    }


def test_secrets_stay_redacted_in_every_format(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    _deploy(tmp_path, http_server.base_url)
    summary = tmp_path / "summary.md"
    common = ("-f", "deploy", "-R", "--context-root", "contexts")
    outputs = []
    for output in ("json", "table", "junit", "github"):
        report = tmp_path / f"{output}.xml"
        done = run(
            *common,
            "-o",
            output,
            "--junit-xml",
            str(report),
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )
        assert done.returncode == 1, done.stderr
        outputs += [done.stdout, done.stderr, report.read_text()]
    outputs.append(summary.read_text())
    assert "b-reaches-api" in outputs[-1]
    for text in outputs:
        for token in TOKENS.values():
            assert token not in text
    # Each rule sent its own namespace's token, echoed back: without redaction it shows.
    shown = json.loads(run(*common, "--disable-redaction").stdout)
    bodies = {a["name"]: a["results"][0]["data"]["body"] for a in shown["assertions"]}
    assert f"Bearer {TOKENS['default']}" in bodies["d-reaches-api"]
    assert f"Bearer {TOKENS['team-a']}" in bodies["a-reaches-api"]
    assert TOKENS["team-a"] not in bodies["d-reaches-api"]


def test_the_combined_junit_report_locates_each_rule_in_its_file(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    _deploy(tmp_path, http_server.base_url)
    done = run("-f", "deploy", "-R", "--context-root", "contexts", "-o", "junit")
    xml = junitparser.JUnitXml.fromstring(done.stdout)
    assert (xml.tests, xml.failures, xml.errors) == (3, 1, 0)
    assert [suite.name for suite in xml] == ["d", "team-a/a", "team-b/b"]
    assert 'file="deploy/team-b/assertions.yaml" line="11"' in done.stdout
    assert 'file="deploy/shared.yaml" line="10"' in done.stdout


def test_a_missing_object_names_the_directory_it_looked_for(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    _, contexts = _deploy(tmp_path, http_server.base_url)
    for key in (contexts / "team-b" / "secrets" / "api-token").iterdir():
        key.unlink()
    (contexts / "team-b" / "secrets" / "api-token").rmdir()
    done = run("-f", "deploy", "-R", "--context-root", "contexts")
    assert done.returncode == 2
    assert (
        "deploy/team-b/assertions.yaml: context 'creds' comes from secret 'api-token': "
        "no directory contexts/team-b/secrets/api-token"
    ) in done.stderr
    # The other manifests still ran and are in the report.
    assert _statuses(json.loads(done.stdout)) == {"d-reaches-api": "pass", "a-reaches-api": "pass"}


def test_a_named_directory_wins_over_the_root(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    _deploy(tmp_path, http_server.base_url)
    wrong = tmp_path / "wrong"
    _tree(wrong, {"base": "http://127.0.0.1:9", "path": "/echo"})
    done = run(
        "-f",
        "deploy/shared.yaml",
        "--context-root",
        "contexts",
        "--context-dir",
        f"cfg={wrong}",
    )
    assert _statuses(json.loads(done.stdout)) == {"d-reaches-api": "fail"}


def test_a_namespace_that_is_not_a_name_is_refused(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    deploy, _ = _deploy(tmp_path, http_server.base_url)
    (deploy / "shared.yaml").write_text(_manifest("../team-a", "d"))
    done = run("-f", "deploy/shared.yaml", "--context-root", "contexts")
    assert done.returncode == 2
    assert "../team-a/settings is not a Kubernetes name" in done.stderr
    assert "Traceback" not in done.stderr


def test_context_root_goes_with_manifests_only(run: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"assertions": []}')
    done = run("-c", "c.json", "--context-root", str(tmp_path))
    assert done.returncode == 2
    assert "--context-root go with -f" in done.stderr
    missing = run("-f", "x.yaml", "--context-root", "nope")
    assert missing.returncode == 2
    assert "--context-root nope: not a directory" in missing.stderr


def test_a_secret_of_one_batch_echoed_in_another_is_redacted(
    run: CliRunner, tmp_path: Path, http_server: HttpServer
) -> None:
    _, contexts = _deploy(tmp_path, http_server.base_url)
    # team-b's ConfigMap (by mistake) holds team-a's token: team-b's rule sends it in its
    # URL and the server echoes it, in a batch that never read team-a's Secret.
    leak = f"/echo?leak={TOKENS['team-a']}"
    (contexts / "team-b" / "configmaps" / "settings" / "path").write_text(leak)
    done = run("-f", "deploy", "-R", "--context-root", "contexts")
    assert done.returncode == 0, done.stderr
    assert TOKENS["team-a"] not in done.stdout
    results = {a["name"]: a["results"][0] for a in json.loads(done.stdout)["assertions"]}
    assert "leak=REDACTED" in results["b-reaches-api"]["spec"]["url"]
    shown = run("-f", "deploy", "-R", "--context-root", "contexts", "--disable-redaction")
    assert f"leak={TOKENS['team-a']}" in shown.stdout
