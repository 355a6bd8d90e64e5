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


@pytest.mark.parametrize("length", [1, 100, 236, 237, 252, 253])
@pytest.mark.parametrize("filler", ["a", "a-", "a."])
def test_event_names_stay_valid_subdomains_for_any_object_name(length: int, filler: str) -> None:
    # Event names are <object>.<hex time>: over 236 characters that no longer fits.
    name = (filler * 253)[: length - 1] + "z"
    moment = 1_700_000_000_123_456_789
    event = naming.event_name(name, moment)
    assert len(event) <= 253 and DNS1123.match(event), event
    assert event.endswith(f".{moment:x}")
    assert naming.event_name(name, moment + 1) != event
    if length <= 236:
        assert event == f"{name}.{moment:x}"
