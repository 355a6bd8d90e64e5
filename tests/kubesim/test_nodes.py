# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Nodes, scheduling and the pod GC for lost nodes (needed by the per-node assertions of
``tests/operator/test_placement.py``). Each test runs on a private kubesim, since Nodes are
cluster-wide."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from tools.kubesim import KubeSim
from tools.kubesim.scheduling import rejection
from tools.kubesim.testing import job_manifest, node_manifest, pod_manifest, wait_for, wait_gone

Obj = dict[str, Any]


@pytest.fixture
def cluster(make_kubesim: Callable[..., KubeSim]) -> client.CoreV1Api:
    """A private kubesim with nodes a (zone=x), b (zone=y) and c (zone=y, tainted
    dedicated=gpu:NoSchedule); the default node is removed."""
    sim = make_kubesim()
    core = client.CoreV1Api(sim.client())
    core.create_node(node_manifest("a", {"zone": "x"}))
    core.create_node(node_manifest("b", {"zone": "y"}))
    gpu = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    core.create_node(node_manifest("c", {"zone": "y"}, [gpu]))
    core.delete_node(sim.settings.node_name)
    return core


def _sleeper(name: str, **spec: Any) -> Obj:
    return pod_manifest(name, ["sleep", "30"], image="busybox", **spec)


def _node_of(core: client.CoreV1Api, name: str) -> str | None:
    return core.read_namespaced_pod(name, "default").spec.node_name


def _scheduled(core: client.CoreV1Api, name: str) -> client.V1PodCondition | None:
    conditions = core.read_namespaced_pod(name, "default").status.conditions or []
    return next((c for c in conditions if c.type == "PodScheduled"), None)


def test_default_node_is_registered_ready(kubesim: KubeSim, core: client.CoreV1Api) -> None:
    """Real: a kubelet registers its Node with hostname/os/arch labels and reports Ready."""
    node = core.read_node(kubesim.settings.node_name)
    assert node.metadata.labels["kubernetes.io/hostname"] == kubesim.settings.node_name
    assert node.metadata.labels["kubernetes.io/os"] == "linux"
    ready = {c.type: c.status for c in node.status.conditions}
    assert ready["Ready"] == "True"


def test_created_node_becomes_ready_and_lists(cluster: client.CoreV1Api) -> None:
    """Real: Nodes are cluster-scoped; the node's kubelet posts Ready=True to /status."""

    def ready(name: str) -> bool:
        conditions = cluster.read_node(name).status.conditions or []
        return any(c.type == "Ready" and c.status == "True" for c in conditions)

    wait_for(lambda: all(ready(n) for n in "abc"), 5, what="nodes Ready")
    names = [n.metadata.name for n in cluster.list_node(label_selector="zone=y").items]
    assert names == ["b", "c"]


def test_node_selector_binds_to_a_matching_node(cluster: client.CoreV1Api) -> None:
    """Real: nodeSelector restricts the scheduler to nodes with all those labels, and the
    binding sets spec.nodeName and PodScheduled=True."""
    cluster.create_namespaced_pod("default", _sleeper("p", nodeSelector={"zone": "y"}))
    assert wait_for(lambda: _node_of(cluster, "p"), 5, what="binding") == "b"
    assert _scheduled(cluster, "p").status == "True"


def test_unschedulable_pod_stays_pending_with_reason_then_schedules(
    cluster: client.CoreV1Api,
) -> None:
    """Real: a Pod no node fits stays Pending with PodScheduled=False reason Unschedulable
    and a FailedScheduling event (``0/3 nodes are available: ...``); it is retried when a
    Node changes."""
    cluster.create_namespaced_pod("default", _sleeper("p", nodeSelector={"zone": "z"}))
    cond = wait_for(lambda: _scheduled(cluster, "p"), 5, what="PodScheduled")
    assert (cond.status, cond.reason) == ("False", "Unschedulable")
    assert cond.message.startswith("0/3 nodes are available: ")
    assert "3 node(s) didn't match Pod's node affinity/selector" in cond.message
    pod = cluster.read_namespaced_pod("p", "default")
    assert pod.status.phase == "Pending" and pod.spec.node_name is None
    events = cluster.list_namespaced_event("default", field_selector="involvedObject.name=p")
    assert [e.reason for e in events.items] == ["FailedScheduling"]
    cluster.patch_node("a", {"metadata": {"labels": {"zone": "z"}}})
    assert wait_for(lambda: _node_of(cluster, "p"), 5, what="retry") == "a"
    assert _scheduled(cluster, "p").status == "True"


def test_taints_need_tolerations(cluster: client.CoreV1Api) -> None:
    """Real: a NoSchedule taint keeps Pods without a matching toleration off the node;
    the message names the taint as ``{key: value}``."""
    cluster.create_namespaced_pod(
        "default", _sleeper("no-toleration", nodeSelector={"kubernetes.io/hostname": "c"})
    )
    cond = wait_for(lambda: _scheduled(cluster, "no-toleration"), 5, what="PodScheduled")
    assert "1 node(s) had untolerated taint {dedicated: gpu}" in cond.message
    assert "2 node(s) didn't match" in cond.message
    toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    cluster.create_namespaced_pod(
        "default",
        _sleeper(
            "tolerant", nodeSelector={"kubernetes.io/hostname": "c"}, tolerations=[toleration]
        ),
    )
    assert wait_for(lambda: _node_of(cluster, "tolerant"), 5, what="binding") == "c"


def test_match_fields_pins_to_a_node_by_name(cluster: client.CoreV1Api) -> None:
    """Real: required node affinity with matchFields on metadata.name (what the DaemonSet
    controller uses to pin a Pod) binds to that node only."""
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]}
                ]
            }
        }
    }
    cluster.create_namespaced_pod("default", _sleeper("p", affinity=affinity))
    assert wait_for(lambda: _node_of(cluster, "p"), 5, what="binding") == "b"


def test_not_ready_and_cordoned_nodes_get_no_pods(cluster: client.CoreV1Api) -> None:
    """Real: a NotReady node carries the not-ready NoSchedule taint and a cordoned node
    (spec.unschedulable) the unschedulable one; neither gets new Pods."""
    wait_for(lambda: cluster.read_node("a").status.conditions, 5, what="a Ready")
    not_ready = {"type": "Ready", "status": "False", "reason": "KubeletNotReady"}
    cluster.patch_node_status("a", {"status": {"conditions": [not_ready]}})
    cluster.patch_node("b", {"spec": {"unschedulable": True}})
    cluster.create_namespaced_pod("default", _sleeper("p"))
    cond = wait_for(lambda: _scheduled(cluster, "p"), 5, what="PodScheduled")
    assert "1 node(s) were unschedulable" in cond.message
    assert "1 node(s) had untolerated taint {node.kubernetes.io/not-ready}" in cond.message


@pytest.mark.parametrize(
    ("operator", "values", "fits"),
    [
        ("In", ["x", "w"], True),
        ("In", ["y"], False),
        ("NotIn", ["y"], True),
        ("NotIn", ["x"], False),
        ("Exists", [], True),
        ("DoesNotExist", [], False),
    ],
)
def test_match_expressions_operators(operator: str, values: list[str], fits: bool) -> None:
    """Real: In / NotIn / Exists / DoesNotExist on node labels; NotIn and DoesNotExist
    also match nodes without the label."""
    node = {"metadata": {"name": "a", "labels": {"zone": "x"}}, "status": _READY}
    expression = {"key": "zone", "operator": operator, "values": values}
    spec = {"affinity": _required([{"matchExpressions": [expression]}])}
    assert (rejection(spec, node) is None) is fits


def test_affinity_terms_are_ored_and_requirements_anded() -> None:
    """Real: nodeSelectorTerms are ORed; a term's requirements are ANDed; an empty term
    matches nothing."""
    node = {"metadata": {"name": "a", "labels": {"zone": "x"}}, "status": _READY}
    zone_x = {"key": "zone", "operator": "In", "values": ["x"]}
    name_b = {"key": "metadata.name", "operator": "In", "values": ["b"]}
    both = {"matchExpressions": [zone_x], "matchFields": [name_b]}
    assert rejection({"affinity": _required([both])}, node) is not None
    either = [{"matchExpressions": [zone_x]}, {"matchFields": [name_b]}]
    assert rejection({"affinity": _required(either)}, node) is None
    assert rejection({"affinity": _required([{}])}, node) is not None


_READY = {"conditions": [{"type": "Ready", "status": "True"}]}


def _required(terms: list[Obj]) -> Obj:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
        }
    }


def test_pod_bound_to_a_missing_node_is_collected(cluster: client.CoreV1Api) -> None:
    """Real: a Pod created with spec.nodeName bypasses the scheduler; if that node does not
    exist no kubelet runs it, and the pod GC marks it Failed (DisruptionTarget,
    DeletionByPodGC) and force-deletes it."""
    cluster.create_namespaced_pod("default", _sleeper("p", nodeName="ghost"))
    wait_gone(cluster.read_namespaced_pod, "p", "default", timeout=5)


def test_deleting_a_node_fails_and_removes_its_pods(cluster: client.CoreV1Api) -> None:
    """Real: when a Node is deleted, its Pods' containers are gone with the machine and the
    pod GC sets phase Failed with DisruptionTarget=True (DeletionByPodGC, ``PodGC: node no
    longer exists``) before force-deleting them. A Job counts such a Pod as failed."""
    job = job_manifest("j", ["sleep", "30"], image="busybox", backoffLimit=0)
    job["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "b"}
    batch = client.BatchV1Api(cluster.api_client)
    batch.create_namespaced_job("default", job)

    def running_pod() -> client.V1Pod | None:
        pods = cluster.list_namespaced_pod("default", label_selector="job-name=j").items
        return next((p for p in pods if p.status.phase == "Running"), None)

    pod = wait_for(running_pod, 10, what="job pod running")
    assert pod.spec.node_name == "b"
    cluster.delete_node("b")
    failed = wait_for(
        lambda: batch.read_namespaced_job("j", "default").status.failed, 10, what="job failure"
    )
    assert failed == 1
    wait_gone(cluster.read_namespaced_pod, pod.metadata.name, "default", timeout=10)


def test_pod_gc_condition_on_the_failed_pod(make_kubesim: Callable[..., KubeSim]) -> None:
    """Real: the pod GC writes phase Failed and the DisruptionTarget condition to /status
    before its delete; with a finalizer holding the Pod, both stay visible."""
    sim = make_kubesim()
    core = client.CoreV1Api(sim.client())
    core.create_node(node_manifest("b"))
    pod = _sleeper("p", nodeName="b")
    pod["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_pod("default", pod)
    wait_for(lambda: core.read_namespaced_pod("p", "default").status.phase == "Running", 10)
    core.delete_node("b")
    gone = wait_for(lambda: core.read_namespaced_pod("p", "default").metadata.deletion_timestamp, 5)
    assert gone
    status = core.read_namespaced_pod("p", "default").status
    assert status.phase == "Failed"
    cond = next(c for c in status.conditions if c.type == "DisruptionTarget")
    assert (cond.status, cond.reason, cond.message) == (
        "True",
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    core.patch_namespaced_pod("p", "default", {"metadata": {"finalizers": None}})
    wait_gone(core.read_namespaced_pod, "p", "default", timeout=5)


def test_pod_gc_fails_a_terminating_pod_of_a_lost_node(
    make_kubesim: Callable[..., KubeSim],
) -> None:
    """Real: podgc fails every non-terminal Pod bound to a missing node, terminating ones
    too (a Job's Pod being deleted keeps its tracking finalizer until it is terminal)."""
    sim = make_kubesim()
    core = client.CoreV1Api(sim.client())
    core.create_node(node_manifest("b"))
    pod = pod_manifest("p", ["sh", "-c", "trap '' TERM; sleep 30"], image="busybox", nodeName="b")
    pod["metadata"]["finalizers"] = ["example.com/hold"]
    pod["spec"]["terminationGracePeriodSeconds"] = 30
    core.create_namespaced_pod("default", pod)
    wait_for(lambda: core.read_namespaced_pod("p", "default").status.phase == "Running", 10)
    core.delete_namespaced_pod("p", "default")
    core.delete_node("b")
    wait_for(lambda: core.read_namespaced_pod("p", "default").status.phase == "Failed", 5)
    core.patch_namespaced_pod("p", "default", {"metadata": {"finalizers": None}})
    wait_gone(core.read_namespaced_pod, "p", "default", timeout=5)


def test_node_address_rewrite_applies_to_that_node_only(
    make_kubesim: Callable[..., KubeSim],
) -> None:
    """kubesim fault: ``rewrite_on_node`` changes what a Pod on that node sees (args, env,
    ConfigMap files); a Pod on another node sees the original; fieldRef spec.nodeName is the
    Pod's node."""
    sim = make_kubesim()
    core = client.CoreV1Api(sim.client())
    core.create_node(node_manifest("b"))
    sim.faults.rewrite_on_node("b", "127.0.0.1:8080", "127.0.0.1:9")
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "cfg"}, "data": {"url": "http://127.0.0.1:8080/"}}
    )
    script = (
        "import json, os, sys; print(json.dumps({'arg': sys.argv[1], 'env': os.environ['T'],"
        " 'node': os.environ['NODE'], 'file': open('/cfg/url').read()}))"
    )
    for name, node in (("on-a", sim.settings.node_name), ("on-b", "b")):
        spec = pod_manifest(name, ["python", "-c", script, "127.0.0.1:8080"], nodeName=node)
        spec["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "cfg"}}]
        spec["spec"]["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/cfg"}]
        spec["spec"]["containers"][0]["env"] = [
            {"name": "T", "value": "127.0.0.1:8080"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ]
        core.create_namespaced_pod("default", spec)
    outputs = {}
    for name in ("on-a", "on-b"):
        wait_for(
            lambda n=name: core.read_namespaced_pod(n, "default").status.phase == "Succeeded", 10
        )
        outputs[name] = json.loads(core.read_namespaced_pod_log(name, "default").strip())
    assert outputs["on-a"] == {
        "arg": "127.0.0.1:8080",
        "env": "127.0.0.1:8080",
        "node": sim.settings.node_name,
        "file": "http://127.0.0.1:8080/",
    }
    assert outputs["on-b"] == {
        "arg": "127.0.0.1:9",
        "env": "127.0.0.1:9",
        "node": "b",
        "file": "http://127.0.0.1:9/",
    }
