# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
"""Kubelet log rotation: ``pods/log`` serves only the current (newest) log file."""

from __future__ import annotations

from kubernetes import client, watch

from tools.kubesim.testing import api_client, pod_manifest, wait_for

MiB = 1024 * 1024

#: 25 MiB of numbered 1 KiB lines; the last one says "last".
WRITE_25_MIB = (
    "import sys\n"
    "pad = 'x' * 1000\n"
    "for i in range(25 * 1024):\n"
    "    sys.stdout.write(f'{i:08d} {pad}\\n')\n"
    "print('last', flush=True)\n"
)


def _done(core: client.CoreV1Api, ns: str, name: str) -> client.V1Pod | None:
    pod = core.read_namespaced_pod(name, ns)
    return pod if pod.status.phase in ("Succeeded", "Failed") else None


def test_log_over_10_mib_serves_only_the_current_file(kube_api, kube_namespace) -> None:
    """Real: the kubelet rotates a container log at containerLogMaxSize (10Mi by default)
    and `kubectl logs` reads only the current file, so after 25 MiB the log is under
    10 MiB, starts at a line boundary and ends with the last line written."""
    core = client.CoreV1Api(kube_api)
    core.create_namespaced_pod(
        kube_namespace, pod_manifest("chatty", ["python", "-c", WRITE_25_MIB])
    )
    pod = wait_for(lambda: _done(core, kube_namespace, "chatty"), 60, what="chatty done")
    assert pod.status.phase == "Succeeded"
    log = core.read_namespaced_pod_log("chatty", kube_namespace)
    assert 0 < len(log.encode()) < 10 * MiB
    assert log.endswith("last\n")
    lines = log.splitlines()
    numbers = [int(line.split()[0]) for line in lines[:-1]]
    assert numbers == list(range(numbers[0], 25 * 1024))
    assert numbers[0] > 0  # the beginning was rotated away


def test_rotation_size_is_a_setting_counted_in_cri_lines(make_kubesim) -> None:
    """``Settings.container_log_max_size`` counts each line as the CRI file stores it
    (timestamp, stream, tag, content). A follower keeps reading across rotations."""
    sim = make_kubesim(container_log_max_size=1000)
    core = client.CoreV1Api(api_client(sim.kubelet.kubeconfig))
    core.create_namespace({"metadata": {"name": "logs"}})
    script = (
        "import time\n"
        "time.sleep(0.5)\n"
        "for i in range(100):\n"
        "    print(f'line {i:03d}', flush=True)\n"
        "    time.sleep(0.005)\n"
    )
    core.create_namespaced_pod("logs", pod_manifest("p", ["python", "-c", script]))
    wait_for(lambda: core.read_namespaced_pod("p", "logs").status.phase == "Running", 30)
    streamed = list(
        watch.Watch().stream(
            core.read_namespaced_pod_log, "p", "logs", follow=True, _request_timeout=30
        )
    )
    assert streamed == [f"line {i:03d}" for i in range(100)]
    log = core.read_namespaced_pod_log("p", "logs")
    per_line = len("2026-01-01T00:00:00.000000000Z stdout F line 000\n")
    assert log.endswith("line 099\n")
    assert 0 < len(log.splitlines()) <= 1000 // per_line
