"""The real kubectl (client-go, protobuf, server-side printing, discovery, OpenAPI) against
kubesim, for every command the docs tell users to type.

Each test works in a namespace of its own and asserts on what kubectl prints.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kubectl.conftest import CRD_FILE, ROOT
from tests.kubectl.kubectl import Kubectl, header, parse_table
from tests.kubesim.crdcolumns import cell
from tests.kubesim.faults import Faults
from tests.kubesim.jsonpath import find
from tests.kubesim.testing import wait_for

Obj = dict[str, Any]

WEB_REACHABLE = """
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata:
  name: web-reachable
  annotations:
    netchecks.io/description: The web answers.
spec:
  schedule: "*/5 * * * *"
  rules:
    - name: web-answers
      type: http
      url: http://web.example.test/
"""


def _job(name: str, script: str, **spec: Any) -> str:
    return json.dumps(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "netchecks"}},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "netchecks"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {"name": "probe", "image": "busybox", "command": ["sh", "-c", script]}
                        ],
                    },
                },
                **spec,
            },
        }
    )


def _rows_by_name(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["NAME"]: row for row in rows}


def _wait_rows(kubectl: Kubectl, *args: str, until: Any, what: str) -> dict[str, dict[str, str]]:
    return wait_for(
        lambda: (rows := _rows_by_name(kubectl.table("get", *args))) and until(rows) and rows,
        timeout=30,
        interval=0.2,
        what=what,
    )


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
        secrets = _rows_by_name(made.table("get", "secrets"))
        assert (secrets["creds"]["TYPE"], secrets["creds"]["DATA"]) == ("Opaque", "1")
        assert _rows_by_name(made.table("get", "configmaps"))["settings"]["DATA"] == "2"
        assert "robot" in _rows_by_name(made.table("get", "serviceaccounts"))
        assert _rows_by_name(kubectl.table("get", "namespaces"))[namespace]["STATUS"] == "Active"
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
    kubectl.run("create", "-f", "-", stdin=_job("ok", "echo fine"))
    kubectl.run("create", "-f", "-", stdin=_job("bad", "exit 3"))
    jobs = _wait_rows(
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
    wide_jobs = _rows_by_name(kubectl.table("get", "jobs", "-o", "wide"))
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
    _wait_rows(kubectl, "pods", until=lambda r: r["hog"]["STATUS"] == "Running", what="Running")
    assert kubectl.namespace is not None
    kube_faults.kill_pod(kubectl.namespace, "hog", reason="OOMKilled")
    pods = _wait_rows(
        kubectl, "pods", until=lambda r: r["hog"]["STATUS"] == "OOMKilled", what="OOMKilled"
    )
    assert pods["waits"]["STATUS"] == "ContainerCreating"
    assert pods["waits"]["READY"] == "0/1"


def test_get_cronjobs_and_the_docs_multi_kind_selector(kubectl: Kubectl) -> None:
    kubectl.run(
        "create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *", "--", "true"
    )
    kubectl.run("label", "cronjob", "nightly", "app.kubernetes.io/name=netchecks")
    kubectl.run("create", "-f", "-", stdin=_job("run", "true"))
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
        kubectl.run("create", "-f", "-", stdin=_job("watched", "sleep 1"))
        first = lines.wait_for(lambda line: line.startswith("watched"))
        assert "Running" in first or "Complete" in first
        done = lines.wait_for(lambda line: line.startswith("watched") and "Complete" in line)
        assert "1/1" in done
    before_first_row = lines.seen[lines.seen.index(first) - 1]
    assert before_first_row.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]


def test_get_events_by_involved_object(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    _record_event(kubectl, "web-reachable", "ResultsPublished", "2 passed, 0 failed")
    rows = kubectl.table("get", "events", "--field-selector", "involvedObject.name=web-reachable")
    [event] = rows
    assert event["OBJECT"] == "networkassertion/web-reachable"
    assert (event["TYPE"], event["REASON"], event["MESSAGE"]) == (
        "Normal",
        "ResultsPublished",
        "2 passed, 0 failed",
    )


def _record_event(kubectl: Kubectl, name: str, reason: str, message: str) -> None:
    uid = kubectl.out("get", "nas", name, "-o", "jsonpath={.metadata.uid}")
    stamp = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}"},
        "involvedObject": {
            "apiVersion": "netchecks.io/v1",
            "kind": "NetworkAssertion",
            "name": name,
            "namespace": kubectl.namespace,
            "uid": uid,
        },
        "reason": reason,
        "message": message,
        "type": "Normal",
        "source": {"component": "netchecks-results"},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
    kubectl.run("create", "-f", "-", stdin=json.dumps(event))


# -- describe, explain, api-resources -------------------------------------------------------


def test_describe_shows_the_assertion_and_its_events(kubectl: Kubectl) -> None:
    kubectl.run("apply", "-f", "-", stdin=WEB_REACHABLE)
    _record_event(kubectl, "web-reachable", "ResultsPublished", "2 passed, 0 failed")
    out = kubectl.out("describe", "nas", "web-reachable")
    assert re.search(r"^Name:\s+web-reachable$", out, re.MULTILINE)
    assert re.search(rf"^Namespace:\s+{kubectl.namespace}$", out, re.MULTILINE)
    assert "web-answers" in out
    assert re.search(r"Normal\s+ResultsPublished\s+\S+\s+netchecks-results\s+2 passed", out)


def test_describe_pod_shows_its_containers_state(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", stdin=_job("described", "exit 3"))
    _wait_rows(kubectl, "jobs", until=lambda r: r["described"]["STATUS"] == "Failed", what="Failed")
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
    with kubectl.watch("wait", "--for=delete", "configmap/held", "--timeout=60s") as lines:
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
    kubectl.run("create", "-f", "-", stdin=_job("doomed", "sleep 30"))
    _wait_rows(kubectl, "jobs", until=lambda r: "doomed" in r, what="the job")
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
