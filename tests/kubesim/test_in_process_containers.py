# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,arg-type,index,operator"
"""Images mapped to a function (``ImageMapping.in_process``): a container without a process.

The Pod must look, through the API, like one whose process printed the output and exited:
phase, container state and exit code, and the log served by ``pods/log``. The fast loop
fails any test here that starts a process (see the root conftest).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim.pytest_plugin import test_settings
from tools.kubesim.settings import ImageMapping, InProcess
from tools.kubesim.sim import KubeSim
from tools.kubesim.testing import api_client, pod_manifest, wait_for

IMAGE = "registry.local/tools/greeter:1.0"


def greeter(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, bytes]:
    """Reads the file its first argument names (a volume path) and greets with it."""
    name = Path(argv[1]).read_text()
    code = int(env.get("EXIT_CODE", "0"))
    return code, f"hello {name}\nfrom {env['HOSTNAME']} as {argv[0]}\n".encode()


def crashing(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, bytes]:
    raise RuntimeError("no greeting today")


def _core(
    make_kubesim: Callable[..., KubeSim], run: InProcess, request: pytest.FixtureRequest
) -> tuple[client.CoreV1Api, str]:
    images = (*test_settings().images, ImageMapping("*/tools/greeter", in_process=run))
    sim = make_kubesim(images=images)
    api = api_client(sim.write_kubeconfig(sim.work_dir / "kubeconfig"))
    request.addfinalizer(api.close)
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "fn"}})
    core.create_namespaced_config_map(
        "fn", {"metadata": {"name": "who"}, "data": {"name": "kubesim"}}
    )
    return core, "fn"


def _greeter_pod(name: str, exit_code: str = "0") -> dict[str, Any]:
    manifest = pod_manifest(name, ["greet", "/config/name"], image=IMAGE)
    spec = manifest["spec"]
    spec["volumes"] = [{"name": "config", "configMap": {"name": "who"}}]
    container = spec["containers"][0]
    container["volumeMounts"] = [{"name": "config", "mountPath": "/config"}]
    container["env"] = [{"name": "EXIT_CODE", "value": exit_code}]
    return manifest


def _finished(core: client.CoreV1Api, ns: str, name: str) -> client.V1Pod | None:
    pod = core.read_namespaced_pod(name, ns)
    return pod if pod.status.phase in ("Succeeded", "Failed") else None


def test_output_is_the_log_and_exit_zero_succeeds(make_kubesim, request) -> None:
    """The function sees the volume file at its host path and the container's env; its
    output is the container log; exit 0 is Completed and the Pod Succeeded."""
    core, ns = _core(make_kubesim, greeter, request)
    core.create_namespaced_pod(ns, _greeter_pod("hi"))
    pod = wait_for(lambda: _finished(core, ns, "hi"), 10, what="pod finished")
    assert pod.status.phase == "Succeeded"
    state = pod.status.container_statuses[0].state.terminated
    assert (state.exit_code, state.reason) == (0, "Completed")
    assert state.container_id.startswith("kubesim://") and state.started_at
    assert core.read_namespaced_pod_log("hi", ns) == "hello kubesim\nfrom hi as greet\n"
    stamped = core.read_namespaced_pod_log("hi", ns, timestamps=True).splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["hello kubesim", "from hi as greet"]


def test_non_zero_exit_fails_the_pod_and_keeps_the_log(make_kubesim, request) -> None:
    core, ns = _core(make_kubesim, greeter, request)
    core.create_namespaced_pod(ns, _greeter_pod("sad", exit_code="3"))
    pod = wait_for(lambda: _finished(core, ns, "sad"), 10, what="pod finished")
    assert pod.status.phase == "Failed"
    state = pod.status.container_statuses[0].state.terminated
    assert (state.exit_code, state.reason) == (3, "Error")
    assert core.read_namespaced_pod_log("sad", ns).startswith("hello kubesim\n")


def test_a_raising_function_is_a_crashed_container(make_kubesim, request) -> None:
    """An exception is the program crashing: exit 1, its message in the log."""
    core, ns = _core(make_kubesim, crashing, request)
    core.create_namespaced_pod(ns, _greeter_pod("boom"))
    pod = wait_for(lambda: _finished(core, ns, "boom"), 10, what="pod finished")
    assert pod.status.phase == "Failed"
    assert pod.status.container_statuses[0].state.terminated.exit_code == 1
    assert core.read_namespaced_pod_log("boom", ns) == "RuntimeError('no greeting today')\n"
