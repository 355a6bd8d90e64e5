"""The assertion's conditions (pure): every state, as kstatus, Flux, Argo CD and
``kubectl wait`` read them."""

from __future__ import annotations

from typing import Any

import pytest
from netchecks_operator import status as st
from netchecks_operator.plan import Observed, plan
from netchecks_operator.settings import OperatorSettings

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:00Z"
EARLIER = "2026-01-01T00:00:00Z"
SETTINGS = OperatorSettings()


def by_type(status: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    assert status is not None
    return {c["type"]: c for c in status["conditions"]}


def triple(condition: dict[str, Any]) -> tuple[str, str, str]:
    return condition["status"], condition["reason"], condition["message"]


def planned_status(obj: dict[str, Any], **observed: Any) -> dict[str, Any]:
    status = plan(Observed(assertion=obj, **observed), SETTINGS.plan_settings(), NOW).status
    assert status is not None
    return status


def report(generation: int, summary: dict[str, int], **annotations: str) -> dict[str, Any]:
    """A PolicyReport of one generation's run."""
    return {
        "metadata": {
            "name": "web",
            "annotations": {"netchecks.io/assertion-generation": str(generation), **annotations},
        },
        "summary": summary,
        "results": [{"timestamp": {"seconds": 1767225600, "nanos": 0}, "message": "bad log"}],
    }


def web(generation: int = 1) -> dict[str, Any]:
    return AssertionBuilder("web").with_http("http://a/").stored(generation=generation)


# -- waiting for the first run, or the run of a new generation ------------------------------


def test_waiting_for_results_is_not_reconciled_so_kubectl_wait_keeps_waiting() -> None:
    """The defect of issue 15: ``Progressing`` was ``Reconciled=True``, so
    ``kubectl wait --for=condition=Reconciled`` returned before any result existed."""
    conditions = by_type(planned_status(web()))
    assert triple(conditions["Reconciled"]) == (
        "Unknown",
        "Progressing",
        "waiting for the results of generation 1",
    )
    assert triple(conditions["Ready"]) == (
        "Unknown",
        "Progressing",
        "waiting for the results of generation 1",
    )
    assert triple(conditions["Reconciling"]) == (
        "True",
        "Progressing",
        "waiting for the results of generation 1",
    )
    assert "Stalled" not in conditions
    assert triple(conditions["Passing"]) == ("Unknown", "NoResults", "no results of generation 1")


def test_a_new_generation_waits_again_even_with_an_earlier_generations_report() -> None:
    conditions = by_type(planned_status(web(generation=2), report=report(1, {"pass": 1})))
    assert conditions["Ready"]["status"] == "Unknown"
    assert conditions["Reconciling"]["status"] == "True"
    assert conditions["Passing"]["status"] == "Unknown"
    assert {c["observedGeneration"] for c in conditions.values()} == {2}


def test_conditions_are_written_in_a_fixed_order_reconciled_first() -> None:
    status = planned_status(web())
    assert [c["type"] for c in status["conditions"]] == [
        "Reconciled",
        "Ready",
        "Passing",
        "Reconciling",
    ]


# -- results published ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "passing"),
    [
        ({"pass": 3}, ("True", "RulesPassing", "3 pass")),
        ({"pass": 3, "warn": 1, "skip": 1}, ("True", "RulesPassing", "3 pass, 1 warn, 1 skip")),
        ({"pass": 3, "fail": 1}, ("False", "RulesFailing", "3 pass, 1 fail")),
        ({"pass": 1, "error": 2}, ("False", "RulesErroring", "1 pass, 2 error")),
        ({"fail": 1, "error": 1}, ("False", "RulesErroring", "1 fail, 1 error")),
        ({}, ("Unknown", "NoResults", "no results")),
    ],
)
def test_published_results_make_ready_true_and_passing_says_the_verdict(
    summary: dict[str, int], passing: tuple[str, str, str]
) -> None:
    conditions = by_type(planned_status(web(), report=report(1, summary)))
    message = st.summary_message(st.report_summary({"summary": summary}) or {})
    assert triple(conditions["Ready"]) == ("True", "ProbeComplete", message)
    assert triple(conditions["Reconciled"]) == ("True", "ProbeComplete", message)
    assert triple(conditions["Passing"]) == passing
    assert "Reconciling" not in conditions and "Stalled" not in conditions


def test_a_run_that_gave_no_result_is_not_ready() -> None:
    failed = report(1, {"error": 1}, **{"netchecks.io/run-failure": "unparseable-log"})
    conditions = by_type(planned_status(web(), report=failed))
    assert triple(conditions["Ready"]) == ("False", "ResultParseError", "bad log")
    assert triple(conditions["Reconciled"]) == ("False", "ResultParseError", "bad log")
    assert triple(conditions["Passing"]) == ("False", "RulesErroring", "1 error")
    assert "Reconciling" not in conditions and "Stalled" not in conditions


# -- the spec cannot run ----------------------------------------------------------------------


def test_an_invalid_spec_is_stalled_and_not_ready() -> None:
    obj = AssertionBuilder("web").with_spec(schedule="not a cron").with_internal().stored()
    conditions = by_type(planned_status(obj))
    assert conditions["Stalled"]["status"] == "True"
    assert conditions["Stalled"]["reason"] == "InvalidSpec"
    assert "schedule" in conditions["Stalled"]["message"]
    for kind in ("Ready", "Reconciled"):
        assert conditions[kind]["status"] == "False" and conditions[kind]["reason"] == "InvalidSpec"
    assert "Reconciling" not in conditions
    assert triple(conditions["Passing"]) == ("Unknown", "NoResults", "no results of generation 1")


def test_an_invalid_spec_does_not_claim_the_verdict_of_an_earlier_spec() -> None:
    obj = AssertionBuilder("web").with_spec(schedule="not a cron").with_internal().stored()
    conditions = by_type(planned_status(obj, report=report(1, {"fail": 2})))
    assert conditions["Passing"]["status"] == "Unknown"


def test_fixing_an_invalid_spec_removes_stalled() -> None:
    obj = AssertionBuilder("web").with_spec(schedule="not a cron").with_internal().stored()
    obj["status"] = planned_status(obj)
    obj["spec"].pop("schedule")
    obj["metadata"]["generation"] = 2
    conditions = by_type(planned_status(obj))
    assert "Stalled" not in conditions
    assert conditions["Reconciling"]["status"] == "True"


# -- the run cannot start, reconciling errs ---------------------------------------------------


def test_a_missing_context_object_is_not_ready_and_still_reconciling() -> None:
    ready = st.Outcome(st.CONTEXT_NOT_FOUND, "Secret creds not found")
    conditions = {c.type: c for c in st.conditions_for(None, ready, None, generation=1, now=NOW)}
    assert (conditions["Ready"].status, conditions["Ready"].reason) == ("False", "ContextNotFound")
    assert conditions["Reconciling"].status == "True"
    assert "Stalled" not in conditions


def test_a_missing_context_after_results_keeps_the_verdict_and_is_not_reconciling() -> None:
    outcome = st.Outcome(st.CONTEXT_NOT_FOUND, "Secret creds not found")
    summary = {"pass": 1, "fail": 0, "warn": 0, "error": 0, "skip": 0}
    made = st.conditions_for(None, outcome, summary, generation=1, now=NOW)
    conditions = {c.type: c for c in made}
    assert conditions["Ready"].status == "False"
    assert conditions["Passing"].status == "True"
    assert "Reconciling" not in conditions


def test_a_reconcile_error_makes_ready_false_and_keeps_the_verdict() -> None:
    obj = web()
    obj["status"] = planned_status(obj, report=report(1, {"fail": 1}))
    after = st.error_status(obj, "name taken", NOW)
    conditions = by_type(after)
    assert triple(conditions["Ready"]) == ("False", "ReconcileError", "name taken")
    assert triple(conditions["Reconciled"]) == ("False", "ReconcileError", "name taken")
    assert triple(conditions["Passing"]) == ("False", "RulesFailing", "1 fail")
    assert after["summary"]["fail"] == 1


# -- observedGeneration and lastTransitionTime --------------------------------------------------


def test_every_condition_and_the_status_carry_the_observed_generation() -> None:
    status = planned_status(web(generation=3), report=report(3, {"pass": 1}))
    assert status["observedGeneration"] == 3
    assert {c["observedGeneration"] for c in status["conditions"]} == {3}


def test_transition_time_moves_only_when_a_conditions_status_changes() -> None:
    obj = web()
    waiting = planned_status(obj)
    for condition in waiting["conditions"]:
        condition["lastTransitionTime"] = EARLIER
    obj["status"] = waiting
    again = by_type(planned_status(obj))
    assert {c["lastTransitionTime"] for c in again.values()} == {EARLIER}
    done = by_type(planned_status(obj, report=report(1, {"pass": 1, "fail": 1})))
    assert done["Ready"]["lastTransitionTime"] == NOW  # Unknown -> True
    assert done["Passing"]["lastTransitionTime"] == NOW  # Unknown -> False


def test_a_message_change_alone_keeps_the_transition_time() -> None:
    obj = web()
    obj["status"] = planned_status(obj, report=report(1, {"pass": 1}))
    for condition in obj["status"]["conditions"]:
        condition["lastTransitionTime"] = EARLIER
    conditions = by_type(planned_status(obj, report=report(1, {"pass": 2})))
    assert conditions["Ready"]["message"] == "2 pass"
    assert conditions["Ready"]["lastTransitionTime"] == EARLIER


def test_conditions_of_other_writers_are_kept_and_ours_are_not_repeated() -> None:
    obj = web()
    theirs = {"type": "Audited", "status": "True", "reason": "X", "lastTransitionTime": EARLIER}
    obj["status"] = {"conditions": [*planned_status(obj)["conditions"], theirs]}
    types = [c["type"] for c in planned_status(obj, report=report(1, {"pass": 1}))["conditions"]]
    assert types == ["Reconciled", "Ready", "Passing", "Audited"]


def test_long_messages_are_cut_in_every_condition() -> None:
    outcome = st.Outcome(st.INVALID_SPEC, "x" * 5000)
    made = st.conditions_for(None, outcome, None, generation=1, now=NOW)
    assert max(len(c.message) for c in made) == st.MAX_MESSAGE
