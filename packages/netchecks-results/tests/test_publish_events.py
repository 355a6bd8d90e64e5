"""Deciding whether a run replaces a report, outcome events, and settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from netchecks_core.policyreport import WG_V1ALPHA2, WG_V1BETA1
from netchecks_results.events import outcome_event
from netchecks_results.publish import decide
from netchecks_results.report import build_policy_report
from netchecks_results.runs import ProbeRun, RunFailure, probe_run
from netchecks_results.settings import ResultsSettings
from netchecks_service.errors import SettingsError
from netchecks_service.settings import load_settings

from tools.builders import AssertionBuilder, probe_job, probe_pod

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def run_of(pod: dict[str, object], job: dict[str, object] | None = None) -> ProbeRun:
    run = probe_run(pod, job)
    assert run is not None
    return run


def job_run(assertion: dict[str, object], created: datetime = T0, generation: int = 1) -> ProbeRun:
    """A run of a Job created at ``created`` from ``generation`` of the assertion."""
    job = probe_job(assertion, created=created, generation=generation)
    return run_of(probe_pod(assertion, job=job, created=created), job)


def report_for(assertion: dict[str, object], run: ProbeRun) -> dict[str, object]:
    return build_policy_report(assertion, run, RunFailure("x", "y"), WG_V1ALPHA2, now=T0)


def test_first_run_is_written() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    assert decide(run_of(probe_pod(a)), None) == "write"


def test_run_already_reflected_is_not_written_again() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    run = run_of(probe_pod(a))
    assert decide(run, report_for(a, run)) == "reflected"


def test_newer_run_replaces_and_older_run_does_not() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    old = job_run(a, T0)
    new = job_run(a, T0 + timedelta(minutes=1))
    assert decide(new, report_for(a, old)) == "write"
    assert decide(old, report_for(a, new)) == "older"


def test_runs_are_dated_by_their_job_not_by_an_annotation_anyone_can_set() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    job = probe_job(a, created=T0)
    job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] = (
        "2999-01-01T00:00:00Z"
    )
    dated = run_of(probe_pod(a, job=job, created=T0), job)
    assert dated.run_time == T0
    assert decide(job_run(a, T0 + timedelta(minutes=1)), report_for(a, dated)) == "write"


def test_report_without_a_job_uid_is_replaced_by_any_proven_run() -> None:
    # Written by a release that dated runs by a settable annotation: not believed.
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    report = report_for(a, job_run(a, T0 + timedelta(days=365 * 900)))
    del report["metadata"]["annotations"]["netchecks.io/job-uid"]  # type: ignore[index]
    assert decide(job_run(a, T0), report) == "write"


def test_run_of_a_newer_spec_created_in_the_same_second_replaces_the_older() -> None:
    # Kubernetes timestamps have one-second resolution: the generation breaks the tie.
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    old = job_run(a, T0, generation=1)
    new = job_run(a, T0, generation=2)
    assert decide(new, report_for(a, old)) == "write"
    assert decide(old, report_for(a, new)) == "older"


def test_of_two_runs_alike_to_the_second_the_one_that_finished_later_is_newest() -> None:
    # Two Jobs of one generation created (and started) in the same second: which run
    # is newer cannot be told from the Jobs, so the later result wins, not list order.
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    first, second = probe_job(a, created=T0), probe_job(a, created=T0)
    pods = [probe_pod(a, job=job, created=T0) for job in (first, second)]
    pods[1]["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"] = (
        "2025-06-01T12:00:03Z"
    )
    early, late = run_of(pods[0], first), run_of(pods[1], second)
    assert max([late, early], key=lambda r: r.order_key) is late
    assert max([early, late], key=lambda r: r.order_key) is late
    assert decide(late, report_for(a, early)) == "write"
    assert decide(early, report_for(a, late)) == "older"


def test_stuck_pod_that_finishes_later_is_written_again() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    stuck_pod = probe_pod(a, phase="Pending", exit_code=None, waiting_reason="ErrImagePull")
    done_pod = {**stuck_pod, "status": probe_pod(a)["status"]}
    assert decide(run_of(done_pod), report_for(a, run_of(stuck_pod))) == "write"


def test_report_not_made_by_us_is_foreign() -> None:
    a = AssertionBuilder().with_rule("dns", host="x").stored()
    run = run_of(probe_pod(a))
    report = report_for(a, run)
    report["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "kyverno"}  # type: ignore[index]
    assert decide(run, report) == "foreign"


def test_report_of_an_earlier_assertion_with_the_same_name_is_replaced() -> None:
    old = AssertionBuilder().with_rule("dns", host="x").stored()
    new = AssertionBuilder().with_rule("dns", host="x").stored(uid="uid-2")
    newer_old_run = job_run(old, T0 + timedelta(hours=1))
    assert decide(job_run(new), report_for(old, newer_old_run)) == "write"


def test_no_event_when_the_outcome_is_unchanged() -> None:
    assert outcome_event({"a": "pass"}, {"a": "pass"}) is None


def test_event_names_failing_rules_and_the_previous_state() -> None:
    event = outcome_event({"a": "pass", "b": "pass"}, {"a": "pass", "b": "fail"})
    assert event is not None
    assert (event.type, event.reason) == ("Warning", "ChecksFailing")
    assert event.message == "1 pass, 1 fail; failing: b (was: 2 pass)"


def test_event_when_checks_pass_again() -> None:
    event = outcome_event({"a": "fail"}, {"a": "pass"})
    assert event is not None
    assert (event.type, event.reason, event.message) == (
        "Normal",
        "ChecksPassing",
        "all 1 rules pass (was: 1 fail)",
    )


def test_event_for_a_failed_run_carries_its_message() -> None:
    event = outcome_event({"a": "pass"}, {"a": "error"}, RunFailure("oom-killed", "OOMKilled"))
    assert event is not None
    assert (event.type, event.reason) == ("Warning", "ProbeRunFailed")
    assert event.message.startswith("OOMKilled (was: 1 pass)")


def test_settings_default_to_v1alpha2_and_accept_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(ResultsSettings).apis == [WG_V1ALPHA2]
    monkeypatch.setenv("NETCHECKS_REPORT_APIS", "wgpolicyk8s.io/v1beta1, openreports.io/v1alpha1")
    apis = load_settings(ResultsSettings).apis
    assert apis[0] == WG_V1BETA1
    assert apis[1].kind == "Report"


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("NETCHECKS_REPORT_APIS", "example.com/v1", "unknown report API 'example.com/v1'"),
        ("NETCHECKS_REPORT_APIS", "wgpolicyk8s.io/v1alpha2,wgpolicyk8s.io/v1beta1", "one version"),
        ("NETCHECKS_WORKERS", "0", "NETCHECKS_WORKERS"),
        ("NETCHECKS_HTTP_ADDR", "nope", "is not HOST:PORT"),
        ("NETCHECKS_MAX_REPORT_BYTES", "10", "NETCHECKS_MAX_REPORT_BYTES"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=problem) as caught:
        load_settings(ResultsSettings)
    assert variable in str(caught.value)


def test_an_error_is_a_warning_of_its_own_never_a_passing_outcome() -> None:
    event = outcome_event({"a": "pass", "b": "pass"}, {"a": "pass", "b": "error"})
    assert event is not None
    assert (event.type, event.reason) == ("Warning", "ChecksFailing")
    assert event.message == "1 pass, 1 error; errors: b (was: 2 pass)"
