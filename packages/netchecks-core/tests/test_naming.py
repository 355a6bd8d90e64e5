"""Child object names and labels: within Kubernetes limits, stable, collision-free."""

from __future__ import annotations

import re

import pytest
from netchecks_core import naming

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def test_short_names_keep_the_assertion_name_with_a_fixed_suffix() -> None:
    assert naming.cronjob_name("db") == "db-netchecks"
    assert naming.configmap_name("db") == "db-netchecks-config"
    assert naming.job_name("db", 3) == "db-netchecks-g3"


@pytest.mark.parametrize("length", [40, 52, 63, 100, 253])
def test_long_names_are_shortened_within_limits_and_stay_valid(length: int) -> None:
    name = ("a-" * 200)[: length - 1] + "z"
    cron = naming.cronjob_name(name)
    assert len(cron) <= 52 and DNS1123.match(cron)
    for child in (
        naming.configmap_name(name),
        naming.job_name(name, 12345),
        naming.run_now_job_name(name, "2024-01-01T00:00:00Z"),
    ):
        assert len(child) <= 63 and DNS1123.match(child), child


def test_shortened_names_are_stable_and_differ_when_only_the_tail_differs() -> None:
    base = "x" * 80
    assert naming.cronjob_name(base + "a") == naming.cronjob_name(base + "a")
    assert naming.cronjob_name(base + "a") != naming.cronjob_name(base + "b")


def test_a_cut_never_ends_on_a_dash_or_dot() -> None:
    name = "a" * 32 + "-.-" + "b" * 40
    assert "--" not in naming.cronjob_name(name).replace("-netchecks", "")


def test_run_now_jobs_differ_per_value() -> None:
    assert naming.run_now_job_name("a", "1") != naming.run_now_job_name("a", "2")


def test_labels_and_annotations_of_design_md() -> None:
    labels = naming.probe_pod_labels("uid-1")
    assert labels == {
        "app.kubernetes.io/name": "netchecks",
        "app.kubernetes.io/managed-by": "netchecks-operator",
        "app.kubernetes.io/component": "probe",
        "netchecks.io/assertion-uid": "uid-1",
    }
    assert naming.child_annotations("a", 2) == {
        "netchecks.io/assertion": "a",
        "netchecks.io/assertion-generation": "2",
    }
    assert naming.child_labels("u", naming.MANAGED_BY_RESULTS)["app.kubernetes.io/managed-by"] == (
        "netchecks-results"
    )
