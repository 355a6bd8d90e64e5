"""The local demo (``python3 dev.py demo``) end to end: kubesim, the real services, real probes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client, config

from demo import examples
from demo.processes import DemoError
from demo.targets import StandIns

ROOT = Path(__file__).resolve().parent.parent
DEMO = [sys.executable, "-m", "demo"]


def _ports(output: str) -> list[int]:
    return [int(p) for p in re.findall(r"/metrics on http://127\.0\.0\.1:(\d+)", output)]


def _stop_with_ctrl_c(process: subprocess.Popen[str], grace: float) -> str:
    """SIGINT, then the rest of the output; if the demo is still running after ``grace``
    seconds, its threads' stacks (faulthandler on SIGABRT) go into the failure message."""
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        stacks, _ = process.communicate(timeout=10)
        pytest.fail(f"the demo did not stop within {grace:.0f}s of Ctrl-C; its threads:\n{stacks}")
    return rest


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.timeout(120)
def test_demo_runs_every_example_to_its_expected_result_and_stops_what_it_started() -> None:
    completed = subprocess.run(
        DEMO, cwd=ROOT, capture_output=True, text=True, timeout=110, check=False
    )

    out = completed.stdout
    assert completed.returncode == 0, out + completed.stderr
    assert "demo OK" in out and "✗" not in out
    for name in examples.DEMO_MANIFESTS:
        meta = examples.load(name)["metadata"]
        assert f"{meta['namespace']}/{meta['name']}" in out
    assert "netchecks.io/run-now=" in out  # the scheduled ones ran at once
    assert "database-port-blocked" in out and "failed as expected" in out
    assert "dev.py demo --keep" in out
    waited = out.split("$ kubectl wait --for=condition=Ready nas --all -A", 1)[1]
    met = waited.split("\n\n", 1)[0].splitlines()[1:]
    assert len(met) == len(examples.DEMO_MANIFESTS)
    assert all(line.endswith("condition met") for line in met), met
    listed = out.split("$ kubectl get nas -A\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert re.split(r"\s{2,}", listed[0]) == [
        *("NAMESPACE", "NAME", "READY", "PASSING", "PASS", "FAIL", "ERROR", "LAST RUN"),
        *("SCHEDULE", "AGE"),
    ]
    assert len(listed) == 1 + len(examples.DEMO_MANIFESTS)
    assert all(row.split()[2:4] == ["True", "True"] for row in listed[1:]), listed
    seconds = float(re.search(r"NetworkAssertions, ([\d.]+)s", out).group(1))
    assert seconds < 60
    ports = _ports(out)
    assert len(ports) == 2 and all(_closed(p) for p in ports)
    assert "demo-partner-token" not in out  # the Secret's value never shows


@pytest.mark.timeout(180)
def test_keep_leaves_a_cluster_to_point_tools_at_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [*DEMO, "--keep"],
        cwd=ROOT,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if not line or "Press Ctrl-C" in line:
            break
    out = "".join(lines)
    try:
        kubeconfig = re.findall(r"export KUBECONFIG=(\S+)", out)[-1]
        api = config.new_client_from_config(config_file=kubeconfig)
        api.configuration.proxy = None
        listed = client.CustomObjectsApi(api).list_cluster_custom_object(
            "netchecks.io", "v1", "networkassertions"
        )
        api.close()
    finally:
        # Stopping waits up to 10 s for the services, then kills them; 45 s is for a busy CI.
        rest = _stop_with_ctrl_c(process, grace=45)

    assert len(listed["items"]) == len(examples.DEMO_MANIFESTS), out
    assert "kubectl get policyreport payments-api-healthy -n payments -o yaml" in out
    assert process.returncode == 0, out + rest
    assert "stopping everything" in rest
    assert all(_closed(p) for p in _ports(out))
    assert not Path(kubeconfig).exists()


def test_localize_points_every_rule_at_a_stand_in_and_keeps_the_rest() -> None:
    stand_ins = StandIns(
        http={"http://payments-api.payments.svc.cluster.local:8080": "http://127.0.0.1:1"},
        tcp={
            ("postgres.shop.svc.cluster.local", 5432): ("127.0.0.1", 2),
            ("api.shop.svc.cluster.local", 8080): ("127.0.0.1", 3),
            ("smtp-relay.mail.svc.cluster.local", 25): ("127.0.0.1", 4),
        },
        dns_server="127.0.0.1:5",
    )

    for name in examples.DEMO_MANIFESTS:
        committed = examples.load(name)
        local = examples.localize(committed, stand_ins)
        assert "svc.cluster.local:" not in str([r.get("url") for r in local["spec"]["rules"]])
        for rule, original in zip(local["spec"]["rules"], committed["spec"]["rules"], strict=True):
            assert rule.get("validation") == original.get("validation")
            assert rule.get("validate") == original.get("validate")
            if rule["type"] == "dns":
                assert rule["server"] == "127.0.0.1:5"
            if rule["type"] == "tcp":
                assert rule["host"] == "127.0.0.1"
        assert local["spec"].get("schedule") == committed["spec"].get("schedule")
    # The committed examples name cluster services, as users would write them.
    assert "svc.cluster.local" in (examples.MANIFESTS / "tcp-egress-blocked.yaml").read_text()


def test_localize_says_which_address_has_no_stand_in() -> None:
    manifest = examples.load("http-api.yaml")

    with pytest.raises(DemoError, match="no local stand-in for http://payments-api"):
        examples.localize(manifest, StandIns())
