"""The real kubectl (client-go, protobuf, server-side printing, discovery, OpenAPI) against
kubesim: creating objects and reading them back with ``get``, as the docs show.

Each test works in a namespace of its own and asserts on what kubectl prints. The other
verbs are in test_kubectl_verbs.py.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tests.kubectl.conftest import CRD_FILE, ROOT
from tests.kubectl.kubectl import Kubectl, header, parse_table
from tests.kubectl.manifests import WEB_REACHABLE, job, record_event, rows_by_name, wait_rows
from tools.kubesim.crdcolumns import cell
from tools.kubesim.faults import Faults
from tools.kubesim.jsonpath import find

Obj = dict[str, Any]


# -- create, apply -------------------------------------------------------------------------


def test_create_namespace_configmap_and_secret_generic(kubectl: Kubectl) -> None:
    """The typed generators send protobuf; kubesim decodes what they send."""
    namespace = f"{kubectl.namespace}-made"
    assert kubectl.out("create", "namespace", namespace) == f"namespace/{namespace} created\n"
    try:
        made = kubectl.in_namespace(namespace)
        made.run(
            "create", "configmap", "settings", "--from-literal=mode=strict", "--from-literal=n=1"
        )
        made.run("create", "secret", "generic", "creds", "--from-literal=password=s3cret")
        made.run("create", "serviceaccount", "robot")
        data = json.loads(made.out("get", "configmap", "settings", "-o", "jsonpath={.data}"))
        assert data == {"mode": "strict", "n": "1"}
        password = made.out("get", "secret", "creds", "-o", "jsonpath={.data.password}")
        assert base64.b64decode(password) == b"s3cret"
        secrets = rows_by_name(made.table("get", "secrets"))
        assert (secrets["creds"]["TYPE"], secrets["creds"]["DATA"]) == ("Opaque", "1")
        assert rows_by_name(made.table("get", "configmaps"))["settings"]["DATA"] == "2"
        assert "robot" in rows_by_name(made.table("get", "serviceaccounts"))
        assert rows_by_name(kubectl.table("get", "namespaces"))[namespace]["STATUS"] == "Active"
    finally:
        kubectl.run("delete", "namespace", namespace, "--wait=false")


def test_create_from_a_file_and_create_job_from_a_cronjob_keep_the_pod_template(
    kubectl: Kubectl,
) -> None:
    """``create job --from=cronjob`` re-sends the CronJob's whole template as protobuf:
    every field comes back as it was (volumes, env, probes, security, affinity...)."""
    pod_spec = {
        "restartPolicy": "OnFailure",
        "serviceAccountName": "default",
        "automountServiceAccountToken": False,
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                    ]
                }
            }
        },
        "volumes": [
            {"name": "config", "configMap": {"name": "cfg", "items": [{"key": "k", "path": "p"}]}},
            {"name": "creds", "secret": {"secretName": "sec", "defaultMode": 0o400}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
            {
                "name": "both",
                "projected": {
                    "sources": [
                        {"configMap": {"name": "cfg", "optional": True}},
                        {"secret": {"name": "sec"}},
                    ]
                },
            },
        ],
        "containers": [
            {
                "name": "probe",
                "image": "busybox",
                "command": ["sh", "-c", "true"],
                "args": ["a"],
                "env": [
                    {"name": "PLAIN", "value": "x"},
                    {
                        "name": "FROM_SECRET",
                        "valueFrom": {"secretKeyRef": {"name": "sec", "key": "k"}},
                    },
                    {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
                "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "C_"}],
                "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "10m"}},
                "volumeMounts": [{"name": "config", "mountPath": "/netcheck", "readOnly": True}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 5},
                "livenessProbe": {"tcpSocket": {"port": "http"}},
                "ports": [{"name": "http", "containerPort": 8080}],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "rich"},
        "spec": {
            "schedule": "0 0 1 1 *",
            "suspend": True,
            "jobTemplate": {
                "metadata": {"labels": {"team": "net"}},
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": 60,
                    "template": {
                        "metadata": {"labels": {"app": "probe"}, "annotations": {"a": "b"}},
                        "spec": pod_spec,
                    },
                },
            },
        },
    }
    assert kubectl.out("create", "-f", "-", stdin=json.dumps(cronjob)) == (
        "cronjob.batch/rich created\n"
    )
    kubectl.run("create", "job", "manual", "--from=cronjob/rich")
    stored_cronjob = json.loads(kubectl.out("get", "cronjob", "rich", "-o", "json"))
    job = json.loads(kubectl.out("get", "job", "manual", "-o", "json"))
    template = stored_cronjob["spec"]["jobTemplate"]["spec"]["template"]
    assert job["spec"]["template"]["spec"] == template["spec"]
    assert job["spec"]["template"]["metadata"]["labels"]["app"] == "probe"
    assert job["spec"]["template"]["metadata"]["annotations"]["a"] == "b"
    [owner] = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "rich", True)
    assert owner["uid"] == stored_cronjob["metadata"]["uid"]


def test_apply_client_side_then_server_side(kubectl: Kubectl) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=WEB_REACHABLE) == (
        "networkassertion.netchecks.io/web-reachable created\n"
    )
    assert "unchanged" in kubectl.out("apply", "-f", "-", stdin=WEB_REACHABLE)
    changed = WEB_REACHABLE.replace("*/5 * * * *", "*/7 * * * *")
    applied = kubectl.out("apply", "--server-side", "-f", "-", stdin=changed)
    assert applied == "networkassertion.netchecks.io/web-reachable serverside-applied\n"
    spec = json.loads(kubectl.out("get", "nas", "web-reachable", "-o", "jsonpath={.spec}"))
    assert spec["schedule"] == "*/7 * * * *"
    assert spec["rules"][0]["name"] == "web-answers"


def test_apply_refuses_an_invalid_assertion_with_the_schema_message(kubectl: Kubectl) -> None:
    bad = WEB_REACHABLE.replace("type: http", "type: carrier-pigeon")
    result = kubectl.run("apply", "-f", "-", stdin=bad, check=False)
    assert result.returncode != 0
    assert 'The NetworkAssertion "web-reachable" is invalid' in result.stderr
    assert 'spec.rules[0].type: Unsupported value: "carrier-pigeon"' in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_the_projects_example_manifests(kubectl: Kubectl) -> None:
    for path in sorted((ROOT / "examples/manifests").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            doc["metadata"]["namespace"] = kubectl.namespace
            out = kubectl.out("apply", "--server-side", "-f", "-", stdin=json.dumps(doc))
            assert out.endswith("serverside-applied\n"), (path, out)
    rows = kubectl.table("get", "nas")
    assert len(rows) >= len(list((ROOT / "examples/manifests").glob("*.yaml")))


# -- get -----------------------------------------------------------------------------------


def test_get_pods_and_jobs_show_status_completions_and_wide_columns(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", stdin=job("ok", "echo fine"))
    kubectl.run("create", "-f", "-", stdin=job("bad", "exit 3"))
    jobs = wait_rows(
        kubectl,
        "jobs",
        until=lambda rows: {r["STATUS"] for r in rows.values()} == {"Complete", "Failed"},
        what="one job Complete and one Failed",
    )
    assert header(kubectl.out("get", "jobs")) == [
        "NAME",
        "STATUS",
        "COMPLETIONS",
        "DURATION",
        "AGE",
    ]
    assert (jobs["ok"]["STATUS"], jobs["ok"]["COMPLETIONS"]) == ("Complete", "1/1")
    assert (jobs["bad"]["STATUS"], jobs["bad"]["COMPLETIONS"]) == ("Failed", "0/1")
    assert re.fullmatch(r"\d+s", jobs["ok"]["DURATION"])
    pods = {row["NAME"].split("-")[0]: row for row in kubectl.table("get", "pods")}
    assert header(kubectl.out("get", "pods")) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert (pods["ok"]["READY"], pods["ok"]["STATUS"], pods["ok"]["RESTARTS"]) == (
        "0/1",
        "Completed",
        "0",
    )
    assert pods["bad"]["STATUS"] == "Error"
    wide = {row["NAME"].split("-")[0]: row for row in kubectl.table("get", "pods", "-o", "wide")}
    assert (wide["ok"]["IP"], wide["ok"]["NODE"]) == ("127.0.0.1", "kubesim-node")
    assert wide["ok"]["NOMINATED NODE"] == "<none>"
    wide_jobs = rows_by_name(kubectl.table("get", "jobs", "-o", "wide"))
    assert (wide_jobs["ok"]["CONTAINERS"], wide_jobs["ok"]["IMAGES"]) == ("probe", "busybox")


def test_get_pods_shows_oomkilled_and_container_creating(
    kubectl: Kubectl, kube_faults: Faults
) -> None:
    kubectl.run(
        "run", "hog", "--image=busybox", "--restart=Never", "--command", "--", "sleep", "30"
    )
    waiting = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "waits"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "command": ["true"]}],
            "volumes": [{"name": "v", "configMap": {"name": "not-there-yet"}}],
        },
    }
    kubectl.run("create", "-f", "-", stdin=json.dumps(waiting))
    wait_rows(kubectl, "pods", until=lambda r: r["hog"]["STATUS"] == "Running", what="Running")
    assert kubectl.namespace is not None
    kube_faults.kill_pod(kubectl.namespace, "hog", reason="OOMKilled")
    pods = wait_rows(
        kubectl, "pods", until=lambda r: r["hog"]["STATUS"] == "OOMKilled", what="OOMKilled"
    )
    assert pods["waits"]["STATUS"] == "ContainerCreating"
    assert pods["waits"]["READY"] == "0/1"


def test_get_cronjobs_and_the_docs_multi_kind_selector(kubectl: Kubectl) -> None:
    kubectl.run(
        "create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *", "--", "true"
    )
    kubectl.run("label", "cronjob", "nightly", "app.kubernetes.io/name=netchecks")
    kubectl.run("create", "-f", "-", stdin=job("run", "true"))
    [cronjob] = kubectl.table("get", "cronjobs")
    assert cronjob == {
        "NAME": "nightly",
        "SCHEDULE": "0 3 * * *",
        "TIMEZONE": "<none>",
        "SUSPEND": "False",
        "ACTIVE": "0",
        "LAST SCHEDULE": "<none>",
        "AGE": cronjob["AGE"],
    }
    out = kubectl.out("get", "cronjobs,jobs,pods", "-A", "-l", "app.kubernetes.io/name=netchecks")
    assert f"{kubectl.namespace}   cronjob.batch/nightly" in out
    assert "job.batch/run" in out
    assert "NAMESPACE" in out.splitlines()[0]


def _crd_columns() -> list[Obj]:
    crd = yaml.safe_load(CRD_FILE.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v.get("storage")]
    columns: list[Obj] = version.get("additionalPrinterColumns") or []
    return columns


def _status_for(columns: list[Obj]) -> Obj:
    """A status that fills every condition column the CRD prints."""
    types = set()
    for column in columns:
        types.update(re.findall(r'@\.type\s*==\s*["\']([^"\']+)', column["jsonPath"]))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "observedGeneration": 1,
        "conditions": [
            {
                "type": kind,
                "status": "True",
                "reason": f"Because{kind}",
                "message": f"{kind} message",
                "lastTransitionTime": now,
            }
            for kind in sorted(types)
        ],
        "summary": {"pass": 2, "fail": 1, "warn": 0, "error": 0, "skip": 0},
    }


def _printed(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_get_nas_prints_the_crds_printer_columns_with_their_values(kubectl: Kubectl) -> None:
    """``kubectl get nas -A`` shows the CRD's columns (priority 0), ``-o wide`` the rest,
    and each cell is the column's JSONPath evaluated on the object."""
    columns = _crd_columns()
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    status = json.dumps({"status": _status_for(columns)})
    kubectl.run(
        "patch", "nas", "web-reachable", "--subresource=status", "--type=merge", "-p", status
    )
    narrow = [c["name"].upper() for c in columns if not c.get("priority")]
    everything = [c["name"].upper() for c in columns]
    text = kubectl.out("get", "nas", "-A")
    assert header(text) == ["NAMESPACE", "NAME", *narrow]
    assert header(kubectl.out("get", "nas", "-o", "wide")) == ["NAME", *everything]
    obj = json.loads(kubectl.out("get", "nas", "web-reachable", "-o", "json"))
    [row] = [r for r in parse_table(text) if r["NAMESPACE"] == kubectl.namespace]
    now = datetime.now(UTC)
    for column in columns:
        if column.get("priority") or column["type"] == "date":
            continue
        found = find(column["jsonPath"], obj)
        expected = _printed(cell(column["type"], found[0], now) if found else None)
        assert row[column["name"].upper()] == expected, column
    assert "*/5 * * * *" in text


def test_get_output_yaml_and_jsonpath(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    document = yaml.safe_load(kubectl.out("get", "nas", "web-reachable", "-o", "yaml"))
    assert document["kind"] == "NetworkAssertion"
    assert document["spec"] == yaml.safe_load(WEB_REACHABLE)["spec"]
    kubectl.run(
        "create", "configmap", "web-reachable-netchecks-config", "--from-literal=config.json={}"
    )
    out = kubectl.out(
        "get", "configmap", "web-reachable-netchecks-config", "-o", r"jsonpath={.data.config\.json}"
    )
    assert out == "{}"


def test_get_watch_prints_each_change_as_a_row(kubectl: Kubectl) -> None:
    with kubectl.watch("get", "jobs", "--watch") as lines:
        kubectl.run("create", "-f", "-", stdin=job("watched", "sleep 1"))
        first = lines.wait_for(lambda line: line.startswith("watched"))
        assert "Running" in first or "Complete" in first
        done = lines.wait_for(lambda line: line.startswith("watched") and "Complete" in line)
        assert "1/1" in done
    before_first_row = lines.seen[lines.seen.index(first) - 1]
    assert before_first_row.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]


def test_get_events_by_involved_object(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    record_event(kubectl, "web-reachable", "ResultsPublished", "2 passed, 0 failed")
    rows = kubectl.table("get", "events", "--field-selector", "involvedObject.name=web-reachable")
    [event] = rows
    assert event["OBJECT"] == "networkassertion/web-reachable"
    assert (event["TYPE"], event["REASON"], event["MESSAGE"]) == (
        "Normal",
        "ResultsPublished",
        "2 passed, 0 failed",
    )


def test_create_deployment_and_service_with_workloads_served(
    make_kubesim: Any, tmp_path: Path
) -> None:
    """With ``Settings(workloads=True)``: ``create deployment`` and ``create service`` send
    protobuf too, and their columns print."""
    sim = make_kubesim(workloads=True)
    tool = Kubectl(sim.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path / "cache", "default")
    tool.run("create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80")
    tool.run("create", "service", "clusterip", "web", "--tcp=80:8080")
    [deployment] = tool.table("get", "deployments", "-o", "wide")
    assert (deployment["READY"], deployment["UP-TO-DATE"], deployment["AVAILABLE"]) == (
        "0/2",
        "0",
        "0",
    )
    assert (deployment["IMAGES"], deployment["SELECTOR"]) == ("nginx", "app=web")
    [service] = [r for r in tool.table("get", "services") if r["NAME"] == "web"]
    assert (service["TYPE"], service["PORT(S)"]) == ("ClusterIP", "80/TCP")
    target = tool.out("get", "service", "web", "-o", "jsonpath={.spec.ports[0].targetPort}")
    assert target == "8080"
