"""The real kubectl against kubesim: describe, explain, api-resources, auth can-i, wait,
logs, delete, diff, annotate and label; and a check that every kubectl command the docs
show is covered by these tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kubectl.conftest import ROOT
from tests.kubectl.kubectl import Kubectl
from tests.kubectl.manifests import WEB_REACHABLE, job, record_event, wait_rows
from tools.kubesim.testing import wait_for

Obj = dict[str, Any]


# -- describe, explain, api-resources -------------------------------------------------------


def test_describe_shows_the_assertion_and_its_events(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    record_event(kubectl, "web-reachable", "ResultsPublished", "2 passed, 0 failed")
    out = kubectl.out("describe", "nas", "web-reachable")
    assert re.search(r"^Name:\s+web-reachable$", out, re.MULTILINE)
    assert re.search(rf"^Namespace:\s+{kubectl.namespace}$", out, re.MULTILINE)
    assert "web-answers" in out
    assert re.search(r"Normal\s+ResultsPublished\s+\S+\s+netchecks-results\s+2 passed", out)


def test_describe_pod_shows_its_containers_state(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", stdin=job("described", "exit 3"))
    wait_rows(kubectl, "jobs", until=lambda r: r["described"]["STATUS"] == "Failed", what="Failed")
    out = kubectl.out("describe", "pod", "-l", "job-name=described")
    assert re.search(r"^Status:\s+Failed$", out, re.MULTILINE)
    assert re.search(r"^Controlled By:\s+Job/described$", out, re.MULTILINE)
    assert re.search(r"Reason:\s+Error\n\s+Exit Code:\s+3", out)


def test_explain_networkassertion_spec_lists_its_fields(kubectl_session: Kubectl) -> None:
    out = kubectl_session.out("explain", "networkassertion.spec")
    assert "KIND:       NetworkAssertion" in out
    assert "VERSION:    v1" in out
    fields = re.findall(r"^  (\w+)\s+<", out, re.MULTILINE)
    assert {"rules", "schedule", "context"} <= set(fields)
    rules = kubectl_session.out("explain", "networkassertion.spec.rules")
    assert re.search(r"^  name\s+<string> -required-", rules, re.MULTILINE)


def test_api_resources_lists_networkassertions_and_the_reviews(kubectl_session: Kubectl) -> None:
    rows = kubectl_session.table("api-resources")
    by_name = {(r["NAME"], r["APIVERSION"]): r for r in rows}
    nas = by_name[("networkassertions", "netchecks.io/v1")]
    assert (nas["SHORTNAMES"], nas["NAMESPACED"], nas["KIND"]) == (
        "nas",
        "true",
        "NetworkAssertion",
    )
    assert ("selfsubjectaccessreviews", "authorization.k8s.io/v1") in by_name
    assert ("pods", "v1") in by_name


def test_auth_can_i_answers_and_lists_the_rules(kubectl: Kubectl) -> None:
    """With RBAC enforcement off, everything is allowed (kubesim's default)."""
    result = kubectl.run("auth", "can-i", "create", "networkassertions")
    assert result.stdout == "yes\n"
    assert kubectl.out("auth", "can-i", "get", "/healthz") == "yes\n"
    listing = kubectl.table("auth", "can-i", "--list")
    assert {
        "Resources": "*.*",
        "Non-Resource URLs": "[]",
        "Resource Names": "[]",
        "Verbs": "[*]",
    } in listing
    assert {
        "Resources": "",
        "Non-Resource URLs": "[*]",
        "Resource Names": "[]",
        "Verbs": "[*]",
    } in (listing)


# -- wait, logs, delete, diff, annotate, label ---------------------------------------------


def test_wait_for_a_job_to_complete_then_read_its_logs(kubectl: Kubectl) -> None:
    kubectl.run(
        "create", "job", "talker", "--image=busybox", "--", "sh", "-c", "echo hello from the probe"
    )
    out = kubectl.out("wait", "--for=condition=Complete", "job/talker", "--timeout=60s")
    assert out == "job.batch/talker condition met\n"
    assert kubectl.out("logs", "job/talker") == "hello from the probe\n"
    [pod] = kubectl.out("get", "pods", "-l", "job-name=talker", "-o", "name").split()
    assert kubectl.out("logs", pod) == "hello from the probe\n"


def test_wait_for_delete(kubectl: Kubectl) -> None:
    """``wait --for=delete`` returns once a finalizer lets the object go."""
    held = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
    }
    kubectl.run("create", "-f", "-", stdin=json.dumps(held))
    kubectl.run("delete", "configmap", "held", "--wait=false")
    # -v=6 logs each request: the finalizer is removed only once the wait is watching
    # (on a slow machine it could otherwise find the object gone and print nothing).
    with kubectl.watch("wait", "--for=delete", "configmap/held", "--timeout=60s", "-v=6") as lines:
        lines.wait_for(lambda line: "watch=true" in line and "200 OK" in line)
        deleting = kubectl.out(
            "get", "configmap", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"
        )
        assert deleting
        kubectl.run(
            "patch",
            "configmap",
            "held",
            "--type=json",
            "-p",
            '[{"op": "remove", "path": "/metadata/finalizers"}]',
        )
        assert (
            lines.wait_for(lambda line: "condition met" in line) == "configmap/held condition met"
        )
    assert kubectl.run("get", "configmap", "held", check=False).returncode == 1


def test_delete_cascade_foreground_removes_the_jobs_pods_first(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", stdin=job("doomed", "sleep 30"))
    wait_rows(kubectl, "jobs", until=lambda r: "doomed" in r, what="the job")
    wait_for(
        lambda: kubectl.out("get", "pods", "-l", "job-name=doomed", "-o", "name").strip(),
        timeout=30,
        what="the job's pod",
    )
    out = kubectl.out("delete", "job", "doomed", "--cascade=foreground", "--timeout=60s")
    assert out.startswith('job.batch "doomed" deleted')
    assert kubectl.out("get", "pods", "-l", "job-name=doomed", "-o", "name") == ""
    assert kubectl.run("get", "job", "doomed", check=False).returncode == 1


def test_diff_shows_a_changed_field_and_exits_1(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    same = kubectl.run("diff", "-f", "-", stdin=WEB_REACHABLE, check=False)
    assert (same.returncode, same.stdout) == (0, "")
    changed = WEB_REACHABLE.replace("web.example.test", "www.example.test")
    result = kubectl.run("diff", "-f", "-", stdin=changed, check=False)
    assert result.returncode == 1, result.stderr
    assert re.search(r"^-\s+url: http://web.example.test/$", result.stdout, re.MULTILINE)
    assert re.search(r"^\+\s+url: http://www.example.test/$", result.stdout, re.MULTILINE)
    url = kubectl.out("get", "nas", "web-reachable", "-o", "jsonpath={.spec.rules[0].url}")
    assert url == "http://web.example.test/"


def test_annotate_run_now_and_label(kubectl: Kubectl) -> None:
    """The docs' ``kubectl annotate nas NAME netchecks.io/run-now=... --overwrite``."""
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    first = kubectl.out("annotate", "nas", "web-reachable", "netchecks.io/run-now=1")
    assert first == "networkassertion.netchecks.io/web-reachable annotated\n"
    refused = kubectl.run("annotate", "nas", "web-reachable", "netchecks.io/run-now=2", check=False)
    assert refused.returncode != 0
    assert "--overwrite" in refused.stderr
    kubectl.run("annotate", "nas", "web-reachable", "netchecks.io/run-now=2", "--overwrite")
    annotations = json.loads(
        kubectl.out("get", "nas", "web-reachable", "-o", "jsonpath={.metadata.annotations}")
    )
    assert annotations["netchecks.io/run-now"] == "2"
    assert kubectl.out("label", "nas", "web-reachable", "team=payments") == (
        "networkassertion.netchecks.io/web-reachable labeled\n"
    )
    [row] = kubectl.table("get", "nas", "-l", "team=payments", "--show-labels")
    assert row["NAME"] == "web-reachable"
    assert "team=payments" in row["LABELS"]


# -- the docs --------------------------------------------------------------------------------

#: kubectl verbs the docs show that need more than kubesim simulates: it runs no
#: Deployment controller, so ``rollout status`` has nothing to wait for.
NOT_SIMULATED = {"rollout"}
COVERED = {
    "annotate",
    "api-resources",
    "apply",
    "auth",
    "create",
    "delete",
    "describe",
    "diff",
    "explain",
    "get",
    "label",
    "logs",
    "wait",
}


_COMMAND = re.compile(r"^\s*(?:\$\s*)?kubectl\s+(?:-n\s+\S+\s+)?([a-z][a-z-]+)", re.MULTILINE)


def _docs_commands() -> list[str]:
    """The code the docs show: fenced blocks and inline code of the Markdown pages, and
    the chart's NOTES (plain text)."""
    snippets = []
    for page in [*(ROOT / "docs").glob("*.md"), ROOT / "README.md"]:
        text = page.read_text()
        snippets += re.findall(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
        snippets += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    snippets += [p.read_text() for p in (ROOT / "charts").rglob("NOTES.txt")]
    return snippets


def test_every_kubectl_command_the_docs_show_is_covered_here() -> None:
    verbs = {m.group(1) for text in _docs_commands() for m in _COMMAND.finditer(text)}
    assert {"get", "apply", "describe"} <= verbs, "the docs' kubectl commands were not found"
    assert verbs - NOT_SIMULATED <= COVERED, verbs - NOT_SIMULATED - COVERED


@pytest.mark.parametrize("path", sorted((ROOT / "charts/netchecks/files/crds").glob("*.yaml")))
def test_every_chart_crd_applies_and_is_served(kubectl_session: Kubectl, path: Path) -> None:
    out = kubectl_session.out("apply", "-f", str(path))
    name = yaml.safe_load(path.read_text())["metadata"]["name"]
    assert name in out
    plural = name.split(".")[0]
    kubectl_session.run("wait", "--for=condition=Established", f"crd/{name}")
    result = kubectl_session.run("get", plural, "-A")
    assert result.stderr in ("", "No resources found\n")
