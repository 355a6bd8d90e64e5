# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist B: every injectable fault, observed through the official client."""

from __future__ import annotations

import json
import signal
import socket
import struct
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest
from kubernetes import client, watch

from tools.kubesim.testing import api_client, body_of, pod_manifest, wait_for, wait_gone


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (429, "TooManyRequests"),
        (409, "Conflict"),
        (504, "Timeout"),
    ],
)
def test_fail_next_requests(core, kube_faults, kube_namespace, code: int, reason: str) -> None:
    """B3: the next N matching requests fail with a real-looking Status (429/503 carry
    Retry-After and details.retryAfterSeconds); then it heals."""
    kube_faults.fail_next(2, code=code, verb="create", path=f"/namespaces/{kube_namespace}/")
    for _ in range(2):
        with pytest.raises(client.ApiException) as err:
            core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
        body = body_of(err.value)
        assert (err.value.status, body["code"], body["reason"]) == (code, code, reason)
    if code in (429, 503):
        assert err.value.headers["Retry-After"] == "1"
        assert body["details"]["retryAfterSeconds"] == 1
    assert core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})


def test_get_retried_transparently_on_retry_after(core, kube_faults, kube_namespace) -> None:
    """The official client's urllib3 pool retries idempotent GETs answered 429/503 with a
    Retry-After header (up to 3 times): injected throttling is invisible to the caller."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    kube_faults.fail_next(2, code=429, verb="get", retry_after=0)
    assert core.read_namespaced_config_map("c", kube_namespace).metadata.name == "c"


def test_fail_next_matches_verb_only(core, kube_faults, kube_namespace) -> None:
    kube_faults.fail_next(1, code=500, verb="create")
    core.list_namespaced_config_map(kube_namespace)
    with pytest.raises(client.ApiException):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})


def test_conflict_on_next_update_exercises_retry_loops(core, kube_faults, kube_namespace) -> None:
    """B3/B4: a retry-on-conflict loop converges after injected 409s."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    kube_faults.fail_next(2, code=409, verb="update")
    attempts = 0
    while True:
        attempts += 1
        cm = core.read_namespaced_config_map("c", kube_namespace)
        cm.data = {"n": str(attempts)}
        try:
            core.replace_namespaced_config_map("c", kube_namespace, cm)
            break
        except client.ApiException as exc:
            assert exc.status == 409
    assert attempts == 3


def test_racing_writer_makes_the_read_stale(kubesim, core, kube_namespace) -> None:
    """B4: a background write between GET and PUT -> 409 Conflict."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    cm = core.read_namespaced_config_map("c", kube_namespace)
    kubesim.faults.bump("", "v1", "configmaps", kube_namespace, "c")
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("c", kube_namespace, cm)
    assert err.value.status == 409


def test_latency(core, kube_faults, kube_namespace) -> None:
    """B5: added latency delays matching requests (and the first byte of a watch)."""
    kube_faults.add_latency(0.3, verb="list")
    start = time.monotonic()
    core.list_namespaced_config_map(kube_namespace)
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    core.read_namespace(kube_namespace)
    assert time.monotonic() - start < 0.3


def test_a_client_that_gave_up_is_no_server_error(
    kubesim, core, kube_api, kube_faults, kube_namespace, kube_requests, capfd
) -> None:
    """A client that times out and resets its connection while a slow request is served
    (as a lease renewal does on a starved API server) is not an internal error: the
    answer is dropped quietly and the server goes on serving."""
    kube_faults.add_latency(0.3, verb="get", path="/configmaps/missing")
    headers = kube_api.configuration.auth_settings()["BearerToken"]
    url = urllib.parse.urlsplit(kube_api.configuration.host)
    assert url.scheme == "http" and url.hostname and url.port
    with socket.create_connection((url.hostname, url.port)) as conn:
        conn.sendall(
            f"GET /api/v1/namespaces/{kube_namespace}/configmaps/missing HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\n{headers['key']}: {headers['value']}\r\n\r\n".encode()
        )
        here = conn.getsockname()
        served = wait_for(lambda: _served_connection(kubesim, here), timeout=5)
        # The server has read the request and waits out the latency; now reset (not
        # close), so its answer fails to send.
        wait_for(lambda: kube_requests.calls(kube_namespace), timeout=5)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    wait_for(lambda: served not in kubesim._http.connections, timeout=5)

    assert "Traceback" not in capfd.readouterr().err
    assert core.read_namespace(kube_namespace).metadata.name == kube_namespace


def _served_connection(kubesim: Any, peer: tuple[str, int]) -> socket.socket | None:
    """kubesim's end of the connection whose client end is bound to ``peer``."""
    for served in list(kubesim._http.connections):
        try:
            if served.getpeername() == peer:
                return served
        except OSError:
            continue
    return None


def test_client_read_timeout_on_a_slow_watch(core, kube_faults, kube_namespace) -> None:
    """B2: a delayed first byte trips the client's _request_timeout."""
    import urllib3

    kube_faults.add_latency(1.0, verb="watch")
    with pytest.raises((urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.MaxRetryError)):
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map, kube_namespace, timeout_seconds=5, _request_timeout=0.3
        ):
            pass


def test_drop_all_watches_and_client_resumes(kubesim, core, kube_namespace) -> None:
    """B2: the server closes every watch; Watch (no timeout_seconds) reconnects from the last
    RV it saw and misses nothing."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "first"}})
    seen: list[str] = []
    w = watch.Watch()

    def consume() -> None:
        for event in w.stream(core.list_namespaced_config_map, kube_namespace):
            seen.append(event["object"].metadata.name)
            if len(seen) == 2:
                w.stop()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    wait_for(lambda: seen, 5, what="first event")
    assert kubesim.faults.drop_watches() >= 1
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "second"}})
    thread.join(timeout=10)
    assert seen == ["first", "second"]


def test_expired_history_gives_410_on_resume(kubesim, core, kube_namespace) -> None:
    """B1: after expiring history, resuming from an older RV is ERROR 410 Expired (the
    Watch helper retries once, then raises), and a stale continue token is 410."""
    for i in range(3):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": f"c{i}"}})
    page = core.list_namespaced_config_map(kube_namespace, limit=1)
    old_rv = page.metadata.resource_version
    kubesim.faults.expire_history()
    with pytest.raises(client.ApiException) as err:
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            resource_version=old_rv,
            _request_timeout=10,
        ):
            pass
    assert err.value.status == 410 and "Expired" in err.value.reason
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_config_map(kube_namespace, limit=1, _continue=page.metadata._continue)
    assert err.value.status == 410
    fresh = core.list_namespaced_config_map(kube_namespace)
    got = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            resource_version=fresh.metadata.resource_version,
            timeout_seconds=1,
        )
    )
    assert got == []


def test_restart_keeps_state_and_port(kubesim, kubeconfig, kube_namespace) -> None:
    """B: the server restarts on the same port; clients reconnect and see the same data."""
    with api_client(kubeconfig) as api:
        core = client.CoreV1Api(api)
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "kept"}})
        port = kubesim.port
        kubesim.faults.restart_server(downtime=0.2)
        assert kubesim.port == port
        assert core.read_namespaced_config_map("kept", kube_namespace).metadata.name == "kept"


def test_restart_ends_watches_which_resume(kubesim, core, kube_namespace) -> None:
    """A restart ends every watch; a consumer that re-watches from its last RV (connection
    errors included, which the official Watch does not retry) misses nothing, because the
    watch history survives the restart."""
    import urllib3

    seen: list[str] = []

    def consume() -> None:
        rv = None
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            try:
                for event in watch.Watch().stream(
                    core.list_namespaced_config_map,
                    kube_namespace,
                    resource_version=rv,
                    timeout_seconds=5,
                ):
                    seen.append(event["object"].metadata.name)
                    rv = event["object"].metadata.resource_version
                    if len(seen) == 2:
                        return
            except (urllib3.exceptions.HTTPError, client.ApiException):
                time.sleep(0.05)

    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "before"}})
    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    wait_for(lambda: seen, 5, what="first event")
    kubesim.faults.restart_server(downtime=0.2)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "after"}})
    thread.join(timeout=10)
    assert seen == ["before", "after"]


def _pod_phase(core: client.CoreV1Api, ns: str) -> Any:
    return core.read_namespaced_pod("p", ns).status.phase


@pytest.mark.e2e  # starts a process
def test_kill_a_running_pod(kubesim, core, kube_namespace) -> None:
    """B6: killing the container (SIGKILL) ends it with 137 and fails the pod."""
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["sleep", "30"], image="busybox"))
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Running", 10, what="Running")
    kubesim.faults.kill_pod(kube_namespace, "p")
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Failed", 10, what="Failed")
    term = (
        core.read_namespaced_pod("p", kube_namespace).status.container_statuses[0].state.terminated
    )
    assert (term.exit_code, term.reason) == (137, "Error")


@pytest.mark.e2e  # starts a process
def test_oom_kill(kubesim, core, kube_namespace) -> None:
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["sleep", "30"], image="busybox"))
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Running", 10, what="Running")
    kubesim.faults.kill_pod(kube_namespace, "p", sig=signal.SIGKILL, reason="OOMKilled")
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Failed", 10, what="Failed")
    term = (
        core.read_namespaced_pod("p", kube_namespace).status.container_statuses[0].state.terminated
    )
    assert (term.exit_code, term.reason) == (137, "OOMKilled")


@pytest.mark.e2e  # starts a process
def test_pod_log_unavailable_window(kubesim, core, kube_namespace) -> None:
    """B6: the log endpoint answers 400 ContainerCreating (or 500) until restored."""
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["echo", "hi"], image="busybox"))
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Succeeded", 10, what="done")
    kubesim.faults.pod_log_unavailable(kube_namespace, "p")
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod_log("p", kube_namespace)
    assert err.value.status == 400
    assert body_of(err.value)["message"] == (
        'container "main" in pod "p" is waiting to start: ContainerCreating'
    )
    kubesim.faults.pod_log_unavailable(kube_namespace, "p", code=500)
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod_log("p", kube_namespace)
    assert err.value.status == 500
    kubesim.faults.pod_log_available(kube_namespace, "p")
    assert core.read_namespaced_pod_log("p", kube_namespace) == "hi\n"
    kubesim.faults.pod_log_unavailable(kube_namespace, "p", seconds=0.2)
    time.sleep(0.3)
    assert core.read_namespaced_pod_log("p", kube_namespace) == "hi\n"


@pytest.mark.e2e  # starts a process
def test_pod_deleted_while_running(core, kube_namespace) -> None:
    core.create_namespaced_pod(kube_namespace, pod_manifest("p", ["sleep", "30"], image="busybox"))
    wait_for(lambda: _pod_phase(core, kube_namespace) == "Running", 10, what="Running")
    core.delete_namespaced_pod("p", kube_namespace, grace_period_seconds=1)

    wait_gone(core.read_namespaced_pod, "p", kube_namespace)


def test_stuck_finalizer_keeps_object_terminating(core, kube_namespace) -> None:
    """B8: an object whose finalizer is never removed stays with deletionTimestamp."""
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "stuck", "finalizers": ["example.com/never"]}}
    )
    core.delete_namespaced_config_map("stuck", kube_namespace)
    time.sleep(0.3)
    assert core.read_namespaced_config_map("stuck", kube_namespace).metadata.deletion_timestamp
    core.patch_namespaced_config_map("stuck", kube_namespace, {"metadata": {"finalizers": None}})


@pytest.mark.e2e  # starts a process
def test_delayed_controllers(make_kubesim) -> None:
    """B5: GC, Job controller and kubelet delays are settings."""
    from tools.kubesim.testing import job_manifest

    sim = make_kubesim(job_controller_delay=0.4, kubelet_delay=0.2)
    jobs = sim.api.resource("batch", "v1", "jobs")
    start = time.monotonic()
    sim.api.create(jobs, "default", job_manifest("d", ["true"], image="busybox"))
    wait_for(
        lambda: (sim.api.get(jobs, "default", "d").get("status") or {}).get("succeeded"),
        10,
        what="job success",
    )
    assert time.monotonic() - start >= 0.6


def test_raw_error_body_shape(kubesim, kube_faults) -> None:
    kube_faults.fail_next(1, code=503, path="^/api/v1/namespaces$")
    req = urllib.request.Request(f"{kubesim.url}/api/v1/namespaces")
    try:
        urllib.request.urlopen(req, timeout=5)
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        exc.close()
        assert body["kind"] == "Status" and body["code"] == 503
    else:
        raise AssertionError("expected 503")


def test_short_server_side_watch_timeouts(kubesim, kube_faults, core, kube_namespace) -> None:
    """B2: the server ends watches early and cleanly (no ERROR); Watch without
    timeout_seconds reconnects from its last RV and misses nothing."""
    kube_faults.set_watch_timeout(0.3)
    start = time.monotonic()
    lines = urllib.request.urlopen(
        f"{kubesim.url}/api/v1/namespaces/{kube_namespace}/configmaps?watch=true", timeout=5
    ).read()
    assert time.monotonic() - start < 3 and b"ERROR" not in lines
    seen: list[str] = []
    w = watch.Watch()

    def consume() -> None:
        for event in w.stream(core.list_namespaced_config_map, kube_namespace):
            seen.append(event["object"].metadata.name)
            if len(seen) == 3:
                w.stop()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    for i in range(3):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": f"c{i}"}})
        time.sleep(0.4)
    thread.join(timeout=10)
    assert seen == ["c0", "c1", "c2"]


@pytest.mark.e2e  # starts a process
def test_controller_downtime_collapses_missed_schedules(
    kubesim, kube_faults, kube_api, kube_namespace
) -> None:
    """B7: while the CronJob controller is down, schedules pass; on its return only the
    most recent missed time runs."""
    batch = client.BatchV1Api(kube_api)
    kube_faults.pause_controller("cronjob-controller")
    batch.create_namespaced_cron_job(
        kube_namespace,
        {
            "metadata": {"name": "cj"},
            "spec": {
                "schedule": "*/1 * * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [
                                    {"name": "c", "image": "busybox", "command": ["true"]}
                                ],
                            }
                        }
                    }
                },
            },
        },
    )
    kubesim.clock.advance(185)
    time.sleep(0.2)
    assert batch.list_namespaced_job(kube_namespace).items == []
    kube_faults.resume_controller("cronjob-controller")
    wait_for(lambda: batch.list_namespaced_job(kube_namespace).items, 10, what="a job")
    time.sleep(0.3)
    assert len(batch.list_namespaced_job(kube_namespace).items) == 1


@pytest.mark.e2e  # starts a process
def test_node_loss(kubesim, kube_api, core, kube_namespace) -> None:
    """B6: a lost node leaves its Pod in phase Unknown (Ready=False, NodeLost); once the
    Pod is force-deleted its Job counts a failure and replaces it."""
    from tools.kubesim.testing import job_manifest

    batch = client.BatchV1Api(kube_api)
    batch.create_namespaced_job(kube_namespace, job_manifest("j", ["sleep", "30"], image="busybox"))
    pod = wait_for(
        lambda: [
            p for p in core.list_namespaced_pod(kube_namespace).items if p.status.phase == "Running"
        ],
        10,
        what="running pod",
    )[0]
    kubesim.faults.lose_pod(kube_namespace, pod.metadata.name)
    lost = core.read_namespaced_pod(pod.metadata.name, kube_namespace)
    assert lost.status.phase == "Unknown" and lost.status.reason == "NodeLost"
    ready = {c.type: c.status for c in lost.status.conditions}["Ready"]
    assert ready == "False"
    kubesim.faults.lose_pod(kube_namespace, pod.metadata.name, delete=True)
    wait_for(
        lambda: batch.read_namespaced_job("j", kube_namespace).status.failed == 1,
        10,
        what="failure counted",
    )
    wait_for(
        lambda: [
            p
            for p in core.list_namespaced_pod(kube_namespace).items
            if p.metadata.name != pod.metadata.name
        ],
        10,
        what="replacement pod",
    )


@pytest.mark.parametrize("kind", ["blank_line", "partial_json", "error_without_code"])
def test_malformed_streams_are_off_by_default_and_injectable(
    kube_faults, core, kube_namespace, kind: str
) -> None:
    """B9: defects the real server never produces break the official Watch the way the
    reference describes (a None event, or a KeyError for an ERROR without code)."""
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "c"}})
    clean = list(
        watch.Watch().stream(core.list_namespaced_config_map, kube_namespace, timeout_seconds=1)
    )
    assert None not in clean
    kube_faults.malform_next_watch(kind, path=f"/namespaces/{kube_namespace}/configmaps")
    if kind == "error_without_code":
        with pytest.raises(KeyError):
            list(
                watch.Watch().stream(
                    core.list_namespaced_config_map, kube_namespace, timeout_seconds=1
                )
            )
        return
    got = list(
        watch.Watch().stream(core.list_namespaced_config_map, kube_namespace, timeout_seconds=1)
    )
    assert None in got
