"""bench.history: a seeded finished Job is the Job a real triggered run leaves."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from netchecks_service.kube import CRONJOBS, NAMESPACES

from bench._common import FAKE_PROBE_REPOSITORY, Cluster, kubesim
from bench.history import seed_finished_job, seed_history
from tools.kubesim.jobs import is_finished
from tools.waiting import wait_for

NS = "hist"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with kubesim("bench-history-") as cluster:
        cluster.api.create(NAMESPACES, {"metadata": {"name": NS}})
        for i in range(3):
            cluster.api.create(CRONJOBS, cronjob(f"cj-{i}"), NS)
        yield cluster


def cronjob(name: str) -> dict[str, Any]:
    """A CronJob like the operator's: its labels and annotations on the Job template."""
    labels = {"netchecks.io/assertion-uid": f"uid-{name}", "app.kubernetes.io/name": "netchecks"}
    container = {"name": "probe", "image": f"{FAKE_PROBE_REPOSITORY}:1", "args": ["run"]}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "schedule": "0 0 1 1 *",
            "jobTemplate": {
                "metadata": {"labels": labels, "annotations": {"netchecks.io/generation": "1"}},
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"restartPolicy": "Never", "containers": [container]},
                    },
                },
            },
        },
    }


def real_finished_job(cluster: Cluster, cronjob: str) -> dict[str, Any]:
    """A run triggered and run to completion by kubesim's controllers and kubelet."""
    sim = cluster.sim
    name = sim.controllers.cronjobs.trigger(NS, cronjob)["metadata"]["name"]
    jobs = sim.api.resource("batch", "v1", "jobs")

    def finished() -> dict[str, Any] | None:
        job = sim.api.find(jobs, NS, name)
        return job if job is not None and is_finished(job) else None

    return wait_for(finished, 30, f"{name} to finish", interval=0.1)


def normalized(job: dict[str, Any]) -> str:
    """The Job as JSON, its own name, uid, resourceVersion and times replaced by placeholders."""
    meta = job["metadata"]
    text = json.dumps(job, sort_keys=False)
    text = text.replace(meta["uid"], "<uid>").replace(meta["name"], "<name>")
    text = text.replace(f'"{meta["resourceVersion"]}"', '"<rv>"')
    return TIME.sub("<time>", text)


def test_a_seeded_job_is_a_real_finished_one_but_for_identity_and_times(cluster: Cluster) -> None:
    real = real_finished_job(cluster, "cj-0")
    seeded = seed_finished_job(cluster.sim, NS, "cj-0")
    assert normalized(seeded) == normalized(real)
    # Same sizes too: names, uids and times are of fixed length.
    assert len(json.dumps(seeded)) == len(json.dumps(real))
    assert seeded["metadata"]["ownerReferences"] == real["metadata"]["ownerReferences"]
    assert seeded["status"]["conditions"][-1]["type"] == "Complete"


def test_seeding_starts_no_pod_and_the_cronjob_keeps_its_history_limit(cluster: Cluster) -> None:
    sim = cluster.sim
    pods = sim.api.resource("", "v1", "pods")
    before = len(sim.api.store.list(pods.storage_key, NS))
    assert seed_history(sim, NS, ["cj-1", "cj-2"], 4) == 8
    jobs = sim.api.resource("batch", "v1", "jobs")

    def kept() -> list[dict[str, Any]]:
        return [
            j
            for j in sim.api.store.list(jobs.storage_key, NS)
            if j["metadata"]["name"].startswith("cj-1-")
            and not j["metadata"].get("deletionTimestamp")
        ]

    wait_for(lambda: len(kept()) == 3, 30, "three Jobs of cj-1", interval=0.1)
    assert len(kept()) == 3  # the CronJob controller deleted the oldest of four
    time.sleep(0.5)  # the resumed Job controller looked at them: finished, nothing to run
    assert len(sim.api.store.list(pods.storage_key, NS)) == before
