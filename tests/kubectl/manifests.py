"""Builders and readers shared by the kubectl tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.kubectl.kubectl import Kubectl
from tools.kubesim.testing import wait_for

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


def job(name: str, script: str, **spec: Any) -> str:
    """A Job (as JSON) running ``sh -c script`` once, labelled like a netchecks probe."""
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


def rows_by_name(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """kubectl get rows keyed by their NAME cell."""
    return {row["NAME"]: row for row in rows}


def wait_rows(kubectl: Kubectl, *args: str, until: Any, what: str) -> dict[str, dict[str, str]]:
    """Poll ``kubectl get ARGS`` until ``until(rows)`` holds (30 s at most)."""
    return wait_for(
        lambda: (rows := rows_by_name(kubectl.table("get", *args))) and until(rows) and rows,
        timeout=30,
        interval=0.2,
        what=what,
    )


def record_event(kubectl: Kubectl, name: str, reason: str, message: str) -> None:
    """A core/v1 Event about NetworkAssertion ``name``, as the results service records."""
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
