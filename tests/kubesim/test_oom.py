# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
"""Container memory limits: a container over ``resources.limits.memory`` is OOMKilled."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.oom import MemoryLimits, parse_bytes
from tools.kubesim.testing import api_client, pod_manifest, wait_for

#: Grows to 300 MiB in 5 MiB steps, writing every byte (so the pages are resident).
GROW = (
    "import time\n"
    "chunks = []\n"
    "for _ in range(60):\n"
    "    chunks.append(b'x' * (5 << 20))\n"
    "    time.sleep(0.01)\n"
    "print('survived', flush=True)\n"
)
SMALL = "b = b'x' * (20 << 20); print('fine', len(b), flush=True)"


def _limited_pod(name: str, code: str, limit: str) -> dict[str, Any]:
    manifest = pod_manifest(name, ["python", "-c", code])
    manifest["spec"]["containers"][0]["resources"] = {"limits": {"memory": limit}}
    return manifest


def _finished(core: client.CoreV1Api, ns: str, name: str) -> client.V1Pod | None:
    pod = core.read_namespaced_pod(name, ns)
    return pod if pod.status.phase in ("Succeeded", "Failed") else None


def _run_both(sim: Any, ns: str) -> tuple[client.V1Pod, client.V1Pod]:
    core = client.CoreV1Api(api_client(sim.kubelet.kubeconfig))
    core.create_namespaced_pod(ns, _limited_pod("greedy", GROW, "64Mi"))
    core.create_namespaced_pod(ns, _limited_pod("modest", SMALL, "128Mi"))
    greedy = wait_for(lambda: _finished(core, ns, "greedy"), 30, what="greedy finished")
    modest = wait_for(lambda: _finished(core, ns, "modest"), 30, what="modest finished")
    assert "survived" not in core.read_namespaced_pod_log("greedy", ns)
    assert core.read_namespaced_pod_log("modest", ns).startswith("fine")
    return greedy, modest


def _assert_oom_killed(greedy: client.V1Pod, modest: client.V1Pod) -> None:
    """Real: the kernel OOM-kills the container; the kubelet reports the container
    terminated with reason OOMKilled and exit code 137, and with restartPolicy Never the
    Pod is Failed. A container under its limit completes."""
    term = greedy.status.container_statuses[0].state.terminated
    assert (greedy.status.phase, term.reason, term.exit_code) == ("Failed", "OOMKilled", 137)
    done = modest.status.container_statuses[0].state.terminated
    assert (modest.status.phase, done.reason, done.exit_code) == ("Succeeded", "Completed", 0)


def test_default_enforcement_oom_kills_over_the_limit(kubesim, kube_namespace) -> None:
    """kubesim's default ("auto") uses a memory cgroup when it can, else the /proc watcher."""
    assert kubesim.kubelet.memory.describe() in ("cgroup-v1", "cgroup-v2", "rss")
    _assert_oom_killed(*_run_both(kubesim, kube_namespace))


@pytest.mark.parametrize("mode", ["rss", "cgroup"])
def test_each_enforcement_oom_kills_over_the_limit(make_kubesim, mode: str) -> None:
    if mode == "cgroup" and MemoryLimits("auto", "test").describe() == "rss":
        pytest.skip("this host lets no process create a memory cgroup (rss is tested)")
    sim = make_kubesim(memory_enforcement=mode)
    core = client.CoreV1Api(api_client(sim.kubelet.kubeconfig))
    core.create_namespace({"metadata": {"name": "oom"}})
    _assert_oom_killed(*_run_both(sim, "oom"))


def test_memory_quantities() -> None:
    assert parse_bytes("64Mi") == 64 << 20
    assert parse_bytes("1G") == 10**9
    assert parse_bytes("128974848") == 128974848
    assert parse_bytes("1e3") == 1000
    assert parse_bytes("0.5Gi") == 512 << 20
    assert parse_bytes("lots") is None
