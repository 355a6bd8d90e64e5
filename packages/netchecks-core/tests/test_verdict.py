"""The verdict model (netchecks_core.verdict): properties over every outcome, and its messages."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from netchecks_core.reasons import NO_RESPONSE_REASONS, REASONS, UNJUDGED_REASONS
from netchecks_core.verdict import CelOutcome, decide, missing_data_key_message

#: Every reason a check may give, none, and one this version does not know.
reasons = st.sampled_from([None, "not-a-known-reason", *sorted(REASONS)])
cel_values = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.booleans(), max_size=2),
)
cel_outcomes = st.one_of(
    st.none(),
    st.builds(CelOutcome, value=cel_values),
    st.builds(
        CelOutcome,
        error=st.sampled_from(["no such key: 'x'", "found no matching overload"]),
        missing_key=st.sampled_from([None, "x"]),
        concerns_response=st.booleans(),
    ),
)
unjudged = st.one_of(st.none(), st.just("the http check crashed: OSError: boom"))


def _data(reason: str | None) -> dict[str, Any]:
    return {} if reason is None else {"reason": reason, "exception": "what the library said"}


def _both(reason: str | None, cel: CelOutcome | None, problem: str | None) -> tuple[str, str]:
    """The status with ``expected: pass`` and with ``expected: fail``."""
    data = _data(reason)
    as_pass = decide(data=data, cel=cel, expected="pass", unjudged=problem)
    as_fail = decide(data=data, cel=cel, expected="fail", unjudged=problem)
    return as_pass.status, as_fail.status


def _swap(status: str) -> str:
    return {"pass": "fail", "fail": "pass"}.get(status, status)


@given(reason=reasons, cel=cel_outcomes, problem=unjudged)
def test_error_is_never_turned_into_pass_by_expected_fail(
    reason: str | None, cel: CelOutcome | None, problem: str | None
) -> None:
    as_pass, as_fail = _both(reason, cel, problem)
    if "error" in (as_pass, as_fail):
        assert as_pass == as_fail == "error"


@given(reason=reasons, cel=cel_outcomes, problem=unjudged)
def test_expected_fail_is_an_involution_on_pass_and_fail(
    reason: str | None, cel: CelOutcome | None, problem: str | None
) -> None:
    as_pass, as_fail = _both(reason, cel, problem)
    assert as_fail == _swap(as_pass)
    assert _swap(_swap(as_pass)) == as_pass


@given(
    reason=reasons, cel=cel_outcomes, problem=unjudged, expected=st.sampled_from(["pass", "fail"])
)
def test_the_status_is_error_exactly_when_the_rule_could_not_be_judged(
    reason: str | None, cel: CelOutcome | None, problem: str | None, expected: str
) -> None:
    status = decide(data=_data(reason), cel=cel, expected=expected, unjudged=problem).status
    evaluated = cel is not None and cel.held is not None
    unjudgeable = (
        problem is not None
        or reason in UNJUDGED_REASONS
        or (
            not evaluated
            and not (reason in NO_RESPONSE_REASONS and cel is not None and cel.concerns_response)
        )
    )
    assert (status == "error") == unjudgeable


@given(
    reason=st.sampled_from(sorted(NO_RESPONSE_REASONS)),
    cel=st.builds(
        CelOutcome,
        error=st.just("no such key: 'status-code'"),
        missing_key=st.just("status-code"),
        concerns_response=st.just(True),
    ),
)
def test_no_response_with_an_unevaluable_rule_is_a_failed_check(
    reason: str, cel: CelOutcome | None
) -> None:
    assert decide(data=_data(reason), cel=cel, expected="pass").status == "fail"
    assert decide(data=_data(reason), cel=cel, expected="fail").status == "pass"


@given(
    reason=st.sampled_from(sorted(NO_RESPONSE_REASONS)),
    cel=st.one_of(
        st.none(),
        st.builds(CelOutcome, value=st.one_of(st.integers(), st.text(max_size=3))),
        st.builds(
            CelOutcome,
            error=st.sampled_from(["over its cost budget", "found no matching overload"]),
            missing_key=st.sampled_from([None, "token"]),
        ),
    ),
)
def test_no_response_excuses_only_a_concerns_response_never_a_broken_rule(
    reason: str, cel: CelOutcome | None
) -> None:
    # A rule over its CEL budget, of the wrong type or reading a missing context key
    # could not be judged: a blocked target must not make it pass with expected: fail.
    assert decide(data=_data(reason), cel=cel, expected="fail").status == "error"


@given(reason=st.sampled_from(sorted(NO_RESPONSE_REASONS)), held=st.booleans())
def test_no_response_honours_a_rule_that_evaluates(reason: str, held: bool) -> None:
    verdict = decide(data=_data(reason), cel=CelOutcome(value=held), expected="pass")
    assert verdict.status == ("pass" if held else "fail")


def test_a_deadline_cut_is_an_error_whatever_the_rule_says() -> None:
    data = {"reason": "deadline", "status-code": 200}
    verdict = decide(data=data, cel=CelOutcome(value=False), expected="fail")
    assert verdict.status == "error"
    assert (
        verdict.message == "reason: deadline (the run's deadline cut the rule before it finished)"
    )


def test_messages_say_what_happened() -> None:
    refused = {"reason": "connection-refused", "exception": "[Errno 111] refused"}
    missing = CelOutcome(error="no such key", concerns_response=True)
    blocked = decide(data=refused, cel=missing, expected="fail")
    assert blocked.message == (
        "the check failed, as expected (reason: connection-refused ([Errno 111] refused))"
    )
    assert decide(data={}, cel=CelOutcome(value=True), expected="fail").message == (
        "the check succeeded but was expected to fail"
    )
    assert decide(data={}, cel=CelOutcome(value=False)).message == "the rule is false"
    assert decide(data={}, cel=CelOutcome(value="yes")).message == (
        "the rule gave 'yes', not true or false"
    )


def test_a_missing_data_key_names_the_closest_field_of_the_check_type() -> None:
    message = missing_data_key_message("http", "data.status_code == 200", "status_code")
    assert message == "data has no key 'status_code' (did you mean 'status-code'?)"
    assert missing_data_key_message("dns", "data['response_code'] == 'X'", "response_code") == (
        "data has no key 'response_code' (did you mean 'response-code'?)"
    )
    assert missing_data_key_message("tcp", "data.zzz", "zzz") == "data has no key 'zzz'"


def test_a_key_missing_elsewhere_than_data_is_not_blamed_on_data() -> None:
    assert missing_data_key_message("http", "cfg.status_code == 200", "status_code") is None
    assert missing_data_key_message("http", "data.headers.status_code", "status_code") is None
