"""The conditions the operator writes, in-process against kubesim: what kstatus, Flux,
Argo CD and ``kubectl wait`` read from the stored assertion at each step of its life.

The PolicyReport is posted by the test, as the results service would post it.
"""

from __future__ import annotations

from netchecks_core import naming
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.resources import NETWORK_ASSERTIONS

from tests.service.test_operator_controller import KEY, NS, Operator
from tests.service.test_operator_controller import operator as operator  # the fixture
from tools.builders import AssertionBuilder, controller_reference
from tools.kubesim.testing import wait_for


def stored_conditions(operator: Operator) -> dict[str, tuple[str, str, str]]:
    """{type: (status, reason, message)} of the assertion as stored in kubesim."""
    status = operator.api.get(NETWORK_ASSERTIONS, "web", NS).get("status") or {}
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}


def publish_report(operator: Operator, generation: int, summary: dict[str, int]) -> None:
    """Post the assertion's PolicyReport of one generation's run, then wait for the cache."""
    assertion = operator.api.get(NETWORK_ASSERTIONS, "web", NS)
    name = naming.policy_report_name("web")
    report = {
        "apiVersion": f"{DEFAULT_REPORT_API.group}/{DEFAULT_REPORT_API.version}",
        "kind": "PolicyReport",
        "metadata": {
            "name": name,
            "annotations": {naming.ANNOTATION_GENERATION: str(generation)},
            "ownerReferences": [controller_reference(assertion)],
        },
        "summary": summary,
        "results": [],
    }
    operator.api.create(DEFAULT_REPORT_API, report, NS)
    wait_for(
        lambda: operator.cluster.informers["reports"].get(NS, name),
        timeout=5,
        what="the report cached",
    )


def test_conditions_follow_a_run_from_waiting_to_published_results(operator: Operator) -> None:
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    assert operator.reconcile() == "Progressing"
    waiting = stored_conditions(operator)
    message = "waiting for the results of generation 1"
    assert waiting["Ready"] == ("Unknown", "Progressing", message)
    assert waiting["Reconciled"] == ("Unknown", "Progressing", message)
    assert waiting["Reconciling"] == ("True", "Progressing", message)
    assert waiting["Passing"][:2] == ("Unknown", "NoResults")
    publish_report(operator, 1, {"pass": 1, "fail": 1})
    assert operator.reconcile() == "ProbeComplete"
    done = stored_conditions(operator)
    assert done["Ready"] == ("True", "ProbeComplete", "1 pass, 1 fail")
    assert done["Reconciled"] == ("True", "ProbeComplete", "1 pass, 1 fail")
    assert done["Passing"] == ("False", "RulesFailing", "1 pass, 1 fail")
    assert "Reconciling" not in done and "Stalled" not in done
    operator.reconcile()
    assert operator.writes() == [], "the conditions are a fixed point"


def test_a_spec_change_makes_the_assertion_reconciling_until_its_results(
    operator: Operator,
) -> None:
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.reconcile()
    publish_report(operator, 1, {"pass": 1})
    operator.reconcile()
    assert stored_conditions(operator)["Passing"][:2] == ("True", "RulesPassing")
    operator.patch_spec("web", {"rules": [{"name": "r", "type": "internal"}]})
    operator.reconcile()
    changed = stored_conditions(operator)
    assert changed["Ready"][:2] == ("Unknown", "Progressing")
    assert changed["Reconciling"][0] == "True"
    assert changed["Passing"] == ("Unknown", "NoResults", "no results of generation 2")
    stored = operator.api.get(NETWORK_ASSERTIONS, "web", NS)["status"]
    assert {c["observedGeneration"] for c in stored["conditions"]} == {2}


def test_an_invalid_spec_is_stalled_and_not_ready(operator: Operator) -> None:
    operator.create(
        AssertionBuilder("web", NS).with_internal().with_spec(schedule="every minute").build()
    )
    assert operator.reconcile() == "InvalidSpec"
    conditions = stored_conditions(operator)
    assert conditions["Stalled"][:2] == ("True", "InvalidSpec")
    assert conditions["Ready"][:2] == ("False", "InvalidSpec")
    assert "schedule" in conditions["Ready"][2]
    assert "Reconciling" not in conditions


def test_a_reconcile_error_makes_ready_false_and_keeps_the_verdict(operator: Operator) -> None:
    """A refused write (422, a permanent error) is shown at once: Ready and Reconciled
    False with ReconcileError; the verdict of the results shown is kept as it was."""
    operator.create(AssertionBuilder("web", NS).with_internal().build())
    operator.reconcile()
    publish_report(operator, 1, {"pass": 2})
    operator.reconcile()
    operator.patch_spec("web", {"rules": [{"name": "r", "type": "internal"}]})
    operator.sim.faults.fail_next(1, code=422, verb="update", path="/configmaps")
    operator.sim.requests.clear()
    operator.controller.process(KEY)
    assert operator.writes() == ["PUT configmaps", "PATCH networkassertions/status", "POST events"]
    conditions = stored_conditions(operator)
    assert conditions["Ready"][:2] == ("False", "ReconcileError")
    assert conditions["Reconciled"][:2] == ("False", "ReconcileError")
    assert conditions["Passing"] == ("True", "RulesPassing", "2 pass")
