"""The real ``kubectl`` on an assertion's status, with the operator and the results
service as real processes: ``wait --for=condition=Ready`` (and ``Reconciled``) returns
only once the run's PolicyReport is published, ``Stalled`` for an invalid spec, and
``get nas`` (``-o wide``) prints the run's verdict and counts."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS
from netchecks_service.errors import NotFoundError
from netchecks_service.kube import KubeApi

from tests.kubectl.kubectl import Kubectl, header, parse_table
from tests.results.conftest import start_results as start_results  # the fixture
from tools.builders import AssertionBuilder
from tools.harness import ServiceProcess, wait_for

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def kubectl(kubeconfig: Path, kube_namespace: str, tmp_path: Path) -> Kubectl:
    """The real kubectl in the test's namespace."""
    return Kubectl(kubeconfig, tmp_path / "kubectl-cache", kube_namespace)


@pytest.fixture
def waiting(kubectl: Kubectl) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``waiting(*args)``: start ``kubectl wait ARGS`` in the background (killed after)."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            kubectl.command("wait", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=kubectl.env(),
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def conditions(api: KubeApi, ns: str, name: str) -> dict[str, dict[str, Any]]:
    status = api.get(NETWORK_ASSERTIONS, name, ns).get("status") or {}
    return {c["type"]: c for c in status.get("conditions") or []}


def report_exists(api: KubeApi, ns: str, name: str) -> bool:
    try:
        api.get(DEFAULT_REPORT_API, name, ns)
    except NotFoundError:
        return False
    return True


def finished(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.mark.parametrize("condition", ["Ready", "Reconciled"])
def test_kubectl_wait_returns_only_once_the_report_is_published(
    api: KubeApi,
    kube_namespace: str,
    start_operator: Callable[..., ServiceProcess],
    start_results: Callable[..., ServiceProcess],
    waiting: Callable[..., subprocess.Popen[str]],
    condition: str,
) -> None:
    """The operator runs the probe first with no results service: the status says
    Progressing and kubectl keeps waiting; once the results service publishes the
    report, the condition turns True and kubectl returns."""
    ns = kube_namespace
    manifest = AssertionBuilder("web").with_internal("1 + 1 == 2").build()
    manifest["metadata"]["namespace"] = ns
    api.create(NETWORK_ASSERTIONS, manifest, ns)
    proc = waiting(f"--for=condition={condition}", "nas/web", "--timeout=150s")
    start_operator()
    progressing = wait_for(
        lambda: conditions(api, ns, "web").get("Reconciling"), 60, "the operator's status"
    )
    assert progressing["status"] == "True"
    time.sleep(2)  # time for kubectl to see the Progressing status, were it to stop there
    assert proc.poll() is None, f"kubectl wait returned early: {finished(proc, 5)}"
    assert conditions(api, ns, "web")[condition]["status"] == "Unknown"
    assert not report_exists(api, ns, "web")
    start_results()
    code, out, err = finished(proc, 150)
    assert (code, out.strip()) == (0, "networkassertion.netchecks.io/web condition met"), err
    assert report_exists(api, ns, "web")
    status = api.get(NETWORK_ASSERTIONS, "web", ns)["status"]
    assert status["summary"]["pass"] == 1
    shown = conditions(api, ns, "web")
    assert (shown["Ready"]["status"], shown["Ready"]["reason"]) == ("True", "ProbeComplete")
    assert (shown["Passing"]["status"], shown["Passing"]["reason"]) == ("True", "RulesPassing")
    assert "Reconciling" not in shown


def test_kubectl_wait_after_a_spec_change_waits_for_the_new_generations_results(
    api: KubeApi,
    kube_namespace: str,
    kubectl: Kubectl,
    start_operator: Callable[..., ServiceProcess],
    start_results: Callable[..., ServiceProcess],
    waiting: Callable[..., subprocess.Popen[str]],
) -> None:
    """With the services stopped, the status still says Ready=True of generation 1 while
    the spec is at generation 2: the conditions' observedGeneration keeps kubectl waiting
    until the results of generation 2 are published."""
    ns = kube_namespace
    manifest = AssertionBuilder("web").with_internal("true").build()
    manifest["metadata"]["namespace"] = ns
    api.create(NETWORK_ASSERTIONS, manifest, ns)
    services = [start_operator(), start_results()]
    kubectl.run("wait", "--for=condition=Ready", "nas/web", "--timeout=120s", timeout=130)
    for service in services:
        service.stop()
    rules = [{"name": "two", "type": "internal", "validate": {"pattern": "false"}}]
    api.patch(NETWORK_ASSERTIONS, "web", {"spec": {"rules": rules}}, ns)
    stale = conditions(api, ns, "web")["Ready"]
    assert (stale["status"], stale["observedGeneration"]) == ("True", 1)
    proc = waiting("--for=condition=Ready", "nas/web", "--timeout=150s")
    time.sleep(3)  # time for kubectl to read the stale status, were it to stop there
    assert proc.poll() is None, f"kubectl wait took generation 1's status: {finished(proc, 5)}"
    start_operator()
    start_results()
    code, out, err = finished(proc, 150)
    assert (code, out.strip()) == (0, "networkassertion.netchecks.io/web condition met"), err
    status = api.get(NETWORK_ASSERTIONS, "web", ns)["status"]
    assert status["observedGeneration"] == 2 and status["summary"]["fail"] == 1
    assert conditions(api, ns, "web")["Passing"]["status"] == "False"


def test_kubectl_wait_for_stalled_returns_for_an_invalid_spec(
    api: KubeApi,
    kube_namespace: str,
    kubectl: Kubectl,
    operator: ServiceProcess,
    waiting: Callable[..., subprocess.Popen[str]],
) -> None:
    ns = kube_namespace
    manifest = AssertionBuilder("bad").with_internal().with_spec(schedule="every minute").build()
    manifest["metadata"]["namespace"] = ns
    api.create(NETWORK_ASSERTIONS, manifest, ns)
    proc = waiting("--for=condition=Stalled", "nas/bad", "--timeout=60s")
    code, out, err = finished(proc, 90)
    assert (code, out.strip()) == (0, "networkassertion.netchecks.io/bad condition met"), err
    ready = json.loads(
        kubectl.out("get", "nas", "bad", "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")]}')
    )
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "schedule" in ready["message"]
    not_ready = kubectl.run("wait", "--for=condition=Ready", "nas/bad", "--timeout=2s", check=False)
    assert not_ready.returncode != 0, "an invalid spec is never Ready"


def test_kubectl_get_nas_prints_the_runs_verdict_and_counts(
    api: KubeApi,
    kube_namespace: str,
    kubectl: Kubectl,
    operator: ServiceProcess,
    start_results: Callable[..., ServiceProcess],
) -> None:
    manifest = AssertionBuilder("mixed").with_internal("true").with_internal("false").build()
    manifest["metadata"]["namespace"] = kube_namespace
    api.create(NETWORK_ASSERTIONS, manifest, kube_namespace)
    start_results()
    kubectl.run("wait", "--for=condition=Ready", "nas/mixed", "--timeout=120s", timeout=130)
    text = kubectl.out("get", "nas", "-A")
    assert header(text) == [
        "NAMESPACE",
        *("NAME", "READY", "PASSING", "PASS", "FAIL", "ERROR", "LAST RUN", "SCHEDULE", "AGE"),
    ]
    [row] = [r for r in parse_table(text) if r["NAMESPACE"] == kube_namespace]
    last_run, age = row.pop("LAST RUN"), row.pop("AGE")
    assert row == {
        "NAMESPACE": kube_namespace,
        "NAME": "mixed",
        "READY": "True",
        "PASSING": "False",
        "PASS": "1",
        "FAIL": "1",
        "ERROR": "0",
        "SCHEDULE": "",  # kubectl prints a missing value (one-shot: no schedule) as blank
    }
    assert re.fullmatch(r"\d+s|\d+m\d*s?", last_run) and re.fullmatch(r"\d+s|\d+m\d*s?", age)
    wide = kubectl.out("get", "nas", "-o", "wide")
    assert header(wide) == [
        *("NAME", "READY", "PASSING", "PASS", "FAIL", "ERROR", "LAST RUN", "SCHEDULE"),
        *("REASON", "STATUS", "FAILING NODES", "AGE"),
    ]
    [wide_row] = parse_table(wide)
    assert (wide_row["REASON"], wide_row["STATUS"]) == ("ProbeComplete", "1 pass, 1 fail")
    assert wide_row["FAILING NODES"] == ""  # not a per-node assertion
