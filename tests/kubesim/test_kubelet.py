# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A11-A12 (+B6): the simulated kubelet, volumes, env and pod logs."""

from __future__ import annotations

import base64
import json
import textwrap
import time
from typing import Any

import pytest
from kubernetes import client, watch

from tools.kubesim.testing import body_of, pod_manifest, wait_for, wait_gone

SCRIPT = textwrap.dedent("""
    import json, os, sys
    root = os.path.dirname(sys.argv[1])
    out = {
        "config": open(sys.argv[1]).read(),
        "listing": sorted(os.listdir(root)),
        "data_link": os.readlink(root + "/..data").startswith(".."),
        "top_link": os.readlink(root + "/config.json"),
        "secret": open(os.environ["SECRET_FILE"]).read(),
        "env": {k: os.environ.get(k) for k in ("PLAIN", "FROM_CM", "FROM_SECRET", "POD", "NS")},
        "scratch": os.path.isdir(sys.argv[2].split("=", 1)[1]),
        "args": sys.argv[1:],
    }
    print(json.dumps(out), flush=True)
""")


def _phase(core: client.CoreV1Api, name: str, ns: str, *phases: str) -> client.V1Pod | None:
    pod = core.read_namespaced_pod(name, ns)
    return pod if pod.status.phase in phases else None


def test_pod_lifecycle_and_container_status(core, kube_namespace) -> None:
    """Real: nodeName + PodScheduled, Pending -> Running -> Succeeded; containerStatuses
    carry name/image/imageID/ready/restartCount; terminated exitCode+reason Completed."""
    core.create_namespaced_pod(
        kube_namespace, pod_manifest("p", ["python", "-c", "import time; time.sleep(0.5)"])
    )
    running = wait_for(lambda: _phase(core, "p", kube_namespace, "Running"), 10, what="Running")
    cs = running.status.container_statuses[0]
    assert cs.ready and cs.started and cs.state.running.started_at
    conditions = {c.type: c.status for c in running.status.conditions}
    assert conditions["Ready"] == "True" and conditions["PodScheduled"] == "True"
    assert running.spec.node_name
    done = wait_for(lambda: _phase(core, "p", kube_namespace, "Succeeded"), 10, what="done")
    cs = done.status.container_statuses[0]
    assert (cs.name, cs.image, cs.restart_count, cs.ready) == ("main", "python", 0, False)
    assert cs.image_id and cs.state.terminated.exit_code == 0
    assert cs.state.terminated.reason == "Completed"
    assert {c.type: c.status for c in done.status.conditions}["Ready"] == "False"


def test_nonzero_exit_fails_the_pod(core, kube_namespace) -> None:
    core.create_namespaced_pod(
        kube_namespace, pod_manifest("p", ["sh", "-c", "exit 7"], image="busybox")
    )
    pod = wait_for(lambda: _phase(core, "p", kube_namespace, "Failed"), 10, what="Failed")
    term = pod.status.container_statuses[0].state.terminated
    assert (term.exit_code, term.reason) == (7, "Error")


def test_on_failure_restarts_the_container(core, kube_namespace) -> None:
    """restartPolicy OnFailure: restartCount grows, the previous run moves to lastState, and
    `previous=true` serves the previous run's log."""
    script = (
        "import os, sys; p = os.environ['HOME'] + '/n'; n = int(open(p).read()) "
        "if os.path.exists(p) else 0; open(p, 'w').write(str(n + 1)); "
        "print('run', n, flush=True); sys.exit(0 if n >= 1 else 1)"
    )
    core.create_namespaced_pod(
        kube_namespace, pod_manifest("p", ["python", "-c", script], restartPolicy="OnFailure")
    )
    pod = wait_for(lambda: _phase(core, "p", kube_namespace, "Succeeded"), 10, what="success")
    cs = pod.status.container_statuses[0]
    assert cs.restart_count == 1
    assert cs.last_state.terminated.exit_code == 1
    assert core.read_namespaced_pod_log("p", kube_namespace) == "run 1\n"
    assert core.read_namespaced_pod_log("p", kube_namespace, previous=True) == "run 0\n"


@pytest.mark.parametrize("mode", ["namespace", "rewrite"])
def test_volumes_env_and_path_mapping(make_kubesim, request, mode: str) -> None:
    """ConfigMap and Secret volumes (items projection, the ..data layout), emptyDir, env
    from values/ConfigMap/Secret/fieldRef. In "namespace" mode the process sees the real
    container paths; in "rewrite" mode container paths in args and env values are mapped
    onto the host directories."""
    from tools.kubesim.testing import api_client

    sim = make_kubesim(mount_mode=mode)
    assert sim.kubelet.mount_mode == mode
    api = api_client(sim.write_kubeconfig(sim.work_dir / "kc"))
    request.addfinalizer(api.close)
    core = client.CoreV1Api(api)
    kube_namespace = "default"
    core.create_namespaced_config_map(
        kube_namespace,
        {"metadata": {"name": "cfg"}, "data": {"config.json": '{"a": 1}', "other": "x"}},
    )
    core.create_namespaced_secret(
        kube_namespace,
        {"metadata": {"name": "sec"}, "data": {"tok": base64.b64encode(b"s3cret").decode()}},
    )
    manifest = pod_manifest(
        "p", ["python", "-c", SCRIPT, "/etc/kubesim-cfg/config.json", "--scratch=/scratch/kubesim"]
    )
    manifest["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "cfg"}},
        {
            "name": "sec",
            "secret": {"secretName": "sec", "items": [{"key": "tok", "path": "renamed/token"}]},
        },
        {"name": "scratch", "emptyDir": {}},
    ]
    container = manifest["spec"]["containers"][0]
    container["volumeMounts"] = [
        {"name": "cfg", "mountPath": "/etc/kubesim-cfg"},
        {"name": "sec", "mountPath": "/mnt/kubesim-sec"},
        {"name": "scratch", "mountPath": "/scratch/kubesim"},
    ]
    container["env"] = [
        {"name": "PLAIN", "value": "v"},
        {"name": "FROM_CM", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "other"}}},
        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "tok"}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "SECRET_FILE", "value": "/mnt/kubesim-sec/renamed/token"},
    ]
    core.create_namespaced_pod(kube_namespace, manifest)
    pod = wait_for(
        lambda: _phase(core, "p", kube_namespace, "Succeeded", "Failed"), 10, what="pod to finish"
    )
    log = core.read_namespaced_pod_log("p", kube_namespace)
    assert pod.status.phase == "Succeeded", log
    out = json.loads(log)
    assert out["config"] == '{"a": 1}'
    assert "..data" in out["listing"] and "config.json" in out["listing"]
    assert out["data_link"] and out["top_link"] == "..data/config.json"
    assert out["secret"] == "s3cret"
    assert out["env"] == {
        "PLAIN": "v",
        "FROM_CM": "x",
        "FROM_SECRET": "s3cret",
        "POD": "p",
        "NS": kube_namespace,
    }
    assert out["scratch"]
    if mode == "namespace":
        assert out["args"] == ["/etc/kubesim-cfg/config.json", "--scratch=/scratch/kubesim"]
    else:
        assert out["args"][0] == str(
            sim.work_dir / "pods" / pod.metadata.uid / "volumes" / "cfg" / "config.json"
        )
        assert out["args"][1].startswith("--scratch=" + str(sim.work_dir))


def test_namespace_mode_shows_literal_container_paths(make_kubesim) -> None:
    """With mount namespaces a program can open a mount path hard-coded in its source."""
    sim = make_kubesim(mount_mode="namespace")
    api = sim.api
    api.create(
        api.resource("", "v1", "configmaps"),
        "default",
        {"metadata": {"name": "lit"}, "data": {"f": "literal"}},
    )
    manifest = pod_manifest("p", ["python", "-c", "print(open('/kubesim-literal/f').read())"])
    manifest["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "lit"}}]
    manifest["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "v", "mountPath": "/kubesim-literal", "readOnly": True}
    ]
    assert _run_to_the_end(sim, manifest) == b"literal\n"


def test_missing_config_map_blocks_start_until_created(core, kube_namespace) -> None:
    """Real: the Pod stays Pending, its container waiting with ContainerCreating, and the
    kubelet posts a Warning FailedMount Event `MountVolume.SetUp failed for volume "c" :
    configmap "later" not found`; once the ConfigMap exists the volume mounts and it runs."""
    manifest = pod_manifest(
        "p", ["python", "-c", "import sys; print(open(sys.argv[1]).read())", "/c/k"]
    )
    manifest["spec"]["volumes"] = [{"name": "c", "configMap": {"name": "later"}}]
    manifest["spec"]["containers"][0]["volumeMounts"] = [{"name": "c", "mountPath": "/c"}]
    core.create_namespaced_pod(kube_namespace, manifest)
    time.sleep(0.3)
    pod = core.read_namespaced_pod("p", kube_namespace)
    assert pod.status.phase == "Pending"
    assert pod.status.container_statuses[0].state.waiting.reason == "ContainerCreating"
    events = core.list_namespaced_event(
        kube_namespace, field_selector="involvedObject.name=p,reason=FailedMount"
    ).items
    assert [(e.type, e.message) for e in events] == [
        ("Warning", 'MountVolume.SetUp failed for volume "c" : configmap "later" not found')
    ]
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "later"}, "data": {"k": "here"}}
    )
    wait_for(lambda: _phase(core, "p", kube_namespace, "Succeeded"), 10, what="start")
    assert core.read_namespaced_pod_log("p", kube_namespace) == "here\n"


def test_unmapped_image_is_an_image_pull_error(core, kube_namespace) -> None:
    """Real kubelet: waiting ErrImagePull then ImagePullBackOff; the pod stays Pending; logs
    answer 400 `is waiting to start: trying and failing to pull image`."""
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["x"], image="nginx:1.27"))

    def waiting() -> str | None:
        statuses = core.read_namespaced_pod("p", kube_namespace).status.container_statuses or []
        return statuses[0].state.waiting.reason if statuses and statuses[0].state.waiting else None

    wait_for(lambda: waiting() == "ImagePullBackOff", 10, what="ImagePullBackOff")
    assert core.read_namespaced_pod("p", kube_namespace).status.phase == "Pending"
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod_log("p", kube_namespace)
    assert err.value.status == 400
    assert "is waiting to start: trying and failing to pull image" in body_of(err.value)["message"]


def test_probe_image_runs_from_this_environment(kubesim) -> None:
    """Default mapping: any registry/tag of `.../netchecks-probe` resolves commands in the
    Python environment kubesim runs in."""
    from tools.kubesim.containers import find_mapping
    from tools.kubesim.settings import default_images

    for image in (
        "ghcr.io/hardbyte/netchecks-probe:1.2",
        "netchecks-probe",
        "registry.local:5000/team/netchecks-probe@sha256:abc",
    ):
        mapping = find_mapping(default_images(), image)
        assert mapping is not None and mapping.entrypoint == ("netchecks",), image
    assert find_mapping(default_images(), "ghcr.io/x/netchecks-probe-old:1") is None


def test_graceful_delete_sends_sigterm_then_removes(core, kube_namespace) -> None:
    """Real: DELETE returns the Pod with deletionTimestamp; the kubelet sends SIGTERM,
    records the exit and issues the final delete."""
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('term', flush=True), sys.exit(0)))\n"
        "print('up', flush=True)\n"
        "time.sleep(30)\n"
    )
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["python", "-c", script]))
    wait_for(
        lambda: (
            core.read_namespaced_pod_log("p", kube_namespace)
            if _phase(core, "p", kube_namespace, "Running")
            else None
        ),
        10,
        what="process up",
    )
    deleted = core.delete_namespaced_pod("p", kube_namespace, grace_period_seconds=5)
    assert (
        deleted.metadata.deletion_timestamp and deleted.metadata.deletion_grace_period_seconds == 5
    )

    wait_gone(core.read_namespaced_pod, "p", kube_namespace)


def test_log_parameters(core, kube_namespace) -> None:
    """Real: text/plain body; tailLines, limitBytes (mid-line), timestamps (RFC 3339 prefix);
    two containers need `container`; unknown container 400."""
    manifest = pod_manifest("p", ["python", "-c", "print('l1'); print('l2'); print('l3')"])
    manifest["spec"]["containers"].append(
        {"name": "side", "image": "busybox", "command": ["echo", "side"]}
    )
    core.create_namespaced_pod(kube_namespace, manifest)
    wait_for(lambda: _phase(core, "p", kube_namespace, "Succeeded"), 10, what="done")
    log = core.read_namespaced_pod_log
    assert log("p", kube_namespace, container="main") == "l1\nl2\nl3\n"
    assert log("p", kube_namespace, container="main", tail_lines=2) == "l2\nl3\n"
    assert log("p", kube_namespace, container="main", limit_bytes=4) == "l1\nl"
    stamped = log("p", kube_namespace, container="main", timestamps=True).splitlines()
    assert stamped[0].endswith("Z l1") and stamped[0][4] == "-"
    assert log("p", kube_namespace, container="side") == "side\n"
    with pytest.raises(client.ApiException) as err:
        log("p", kube_namespace)
    assert body_of(err.value)["message"] == (
        "a container name must be specified for pod p, choose one of: [main side]"
    )
    with pytest.raises(client.ApiException) as err:
        log("p", kube_namespace, container="nope")
    assert body_of(err.value)["message"] == "container nope is not valid for pod p"
    with pytest.raises(client.ApiException) as err:
        log("p", kube_namespace, container="main", previous=True)
    assert err.value.status == 400
    raw = log("p", kube_namespace, container="main", _preload_content=False)
    try:
        assert raw.headers["Content-Type"].startswith("text/plain")
    finally:
        raw.release_conn()  # an unread response left open leaks its socket into a later test


def test_log_of_missing_pod_is_404(core, kube_namespace) -> None:
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod_log("nope", kube_namespace)
    assert err.value.status == 404 and body_of(err.value)["message"] == 'pods "nope" not found'


def test_follow_streams_until_exit(core, kube_namespace) -> None:
    """Watch().stream(read_namespaced_pod_log) yields lines (no newline) until the exit."""
    script = "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.2)\n"
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["python", "-c", script]))
    wait_for(lambda: _phase(core, "p", kube_namespace, "Running", "Succeeded"), 10, what="start")
    lines: list[Any] = list(
        watch.Watch().stream(core.read_namespaced_pod_log, "p", kube_namespace, _request_timeout=10)
    )
    assert lines == ["0", "1", "2"]


def test_active_deadline_kills_the_pod(core, kube_namespace) -> None:
    """B6: a hanging pod is killed at activeDeadlineSeconds (reason DeadlineExceeded)."""
    core.create_namespaced_pod(
        kube_namespace, pod_manifest("p", ["sleep", "30"], image="busybox", activeDeadlineSeconds=1)
    )
    pod = wait_for(lambda: _phase(core, "p", kube_namespace, "Failed"), 10, what="deadline")
    assert pod.status.reason == "DeadlineExceeded"


@pytest.mark.parametrize("mode", ["namespace", "rewrite"])
def test_sub_path_mounts_a_single_file(make_kubesim, mode: str) -> None:
    """`subPath` mounts one key of a ConfigMap as a file at the mount path."""
    sim = make_kubesim(mount_mode=mode)
    api = sim.api
    api.create(
        api.resource("", "v1", "configmaps"),
        "default",
        {"metadata": {"name": "cfg"}, "data": {"config.json": '{"checks": []}'}},
    )
    manifest = pod_manifest(
        "p",
        [
            "python",
            "-c",
            "import sys; print(open(sys.argv[1]).read())",
            "/kubesim-netcheck/config.json",
        ],
    )
    manifest["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "cfg"}}]
    manifest["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "v", "mountPath": "/kubesim-netcheck/config.json", "subPath": "config.json"}
    ]
    assert _run_to_the_end(sim, manifest) == b'{"checks": []}\n'


def test_log_before_scheduling_and_before_start(kubesim, kube_faults, core, kube_namespace) -> None:
    """Real: a Pod not yet scheduled answers 200 with an empty body; a scheduled Pod whose
    container has not started answers 400 `... is waiting to start: ContainerCreating`."""
    kube_faults.pause_controller("default-scheduler")
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["echo", "x"], image="busybox"))
    assert core.read_namespaced_pod_log("p", kube_namespace) == ""
    kube_faults.resume_controller("default-scheduler")
    wait_for(lambda: _phase(core, "p", kube_namespace, "Succeeded"), 10, what="done")


def test_log_while_container_creating(make_kubesim) -> None:
    sim = make_kubesim(kubelet_delay=2.0)
    pods = sim.api.resource("", "v1", "pods")
    sim.api.create(pods, "default", pod_manifest("p", ["echo", "x"], image="busybox"))
    wait_for(lambda: sim.api.get(pods, "default", "p")["spec"].get("nodeName"), 5, what="bind")
    from tools.kubesim.errors import ApiError

    with pytest.raises(ApiError) as err:
        sim.kubelet.logs.serve("default", "p", {})
    assert err.value.code == 400
    assert err.value.message == 'container "main" in pod "p" is waiting to start: ContainerCreating'


def test_namespace_mounts_never_hide_the_environment_the_container_runs_from() -> None:
    """A probe Pod's emptyDir at /tmp must not hide a checkout (and its venv) under /tmp."""
    from pathlib import Path

    from tools.kubesim.containers import namespace_mounts
    from tools.kubesim.volumes import Mount

    tmp = Mount("/tmp", Path("/work/pods/1/volumes/tmp"))
    config = Mount("/netcheck", Path("/work/pods/1/volumes/config"), read_only=True)
    nested = Mount("/netcheck/extra", Path("/work/pods/1/volumes/extra"))
    kept = namespace_mounts([nested, tmp, config], [Path("/tmp/clone/.venv")])
    assert [m.container_path for m in kept] == ["/netcheck", "/netcheck/extra"]
    kept = namespace_mounts([nested, tmp, config], [Path("/opt/venv")])
    assert [m.container_path for m in kept] == ["/tmp", "/netcheck", "/netcheck/extra"]


def _run_to_the_end(sim: Any, manifest: dict[str, Any]) -> bytes:
    """Create Pod ``p`` in ``default`` straight through the sim's API; its log once it ended."""
    pods = sim.api.resource("", "v1", "pods")
    sim.api.create(pods, "default", manifest)
    ended = ("Succeeded", "Failed")
    wait_for(lambda: (sim.api.get(pods, "default", "p").get("status") or {}).get("phase") in ended)
    logs: bytes = sim.kubelet.logs.serve("default", "p", {})
    return logs
