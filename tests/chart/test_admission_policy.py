"""The chart's ValidatingAdmissionPolicy: rendered only where the API serves it and when
switched on, valid for Kubernetes, and its CEL (run by kubesim's evaluator) names each
repeated rule name and how its results are named, and nothing for unique names."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from netchecks_core.crd import MAX_RULES

from tests.chart.helm import ADMISSION_POLICY_API, find, objects, one
from tools.kubesim.admission_policy import Attributes, evaluate
from tools.kubesim.resources import ResourceType

Obj = dict[str, Any]
KINDS = {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
NAME = "netchecks-networkassertions"
WITH_API = (ADMISSION_POLICY_API,)


def _admission(values: Obj | None = None, api_versions: tuple[str, ...] = WITH_API) -> list[Obj]:
    return [o for o in objects(values, api_versions) if o["kind"] in KINDS]


def test_rendered_with_the_api_and_defaults_as_a_warn_only_pair() -> None:
    objs = _admission()
    policy = one(objs, "ValidatingAdmissionPolicy", NAME)
    binding = one(objs, "ValidatingAdmissionPolicyBinding", NAME)
    assert binding["spec"] == {"policyName": NAME, "validationActions": ["Warn"]}
    assert policy["spec"]["failurePolicy"] == "Ignore"
    assert policy["spec"]["matchConstraints"]["resourceRules"] == [
        {
            "apiGroups": ["netchecks.io"],
            "apiVersions": ["v1"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["networkassertions"],
        }
    ]
    for obj in objs:
        kubernetes_validate.validate(obj, "1.37.0", strict=True)
        assert obj["metadata"]["labels"]["app.kubernetes.io/component"] == "admission"


@pytest.mark.parametrize(
    ("values", "api_versions"),
    [
        ({}, ()),  # Kubernetes before 1.30: no admissionregistration.k8s.io/v1 policies
        ({"admissionPolicy": {"enabled": False}}, WITH_API),
        ({"crds": {"install": False}}, WITH_API),  # a second release: the first one warns
    ],
    ids=["without-the-api", "switched-off", "crds-not-installed"],
)
def test_not_rendered(values: Obj, api_versions: tuple[str, ...]) -> None:
    assert _admission(values, api_versions) == []


def test_positions_cover_every_rule_the_crd_allows() -> None:
    policy = find(_admission(), "ValidatingAdmissionPolicy")[0]
    variables = {v["name"]: v["expression"] for v in policy["spec"]["variables"]}
    literal = variables["positions"].split(".filter(")[0]
    assert literal == "[" + ",".join(str(i) for i in range(MAX_RULES)) + "]"


def _warnings(rule_names: list[str], operation: str = "CREATE") -> list[str]:
    """What the policy says about an assertion with these rule names (kubesim's CEL)."""
    policy = find(_admission(), "ValidatingAdmissionPolicy")[0]
    rt = ResourceType(
        "netchecks.io", "v1", "networkassertions", "networkassertion", "NetworkAssertion", True
    )
    assertion = {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": "dns", "namespace": "default"},
        "spec": {"rules": [{"name": n, "type": "dns", "host": "x"} for n in rule_names]},
    }
    old = assertion if operation == "UPDATE" else None
    decisions = evaluate(policy, Attributes(rt, operation, assertion, old, "", False))
    return [d.message for d in decisions]


def test_unique_rule_names_give_no_warning() -> None:
    assert _warnings(["a", "b", "c"]) == []
    assert _warnings(["only"], "UPDATE") == []


def test_each_repeated_name_is_named_once_with_its_count() -> None:
    (message,) = _warnings(["svc", "other", "svc", "x", "other", "svc", "y"])
    assert message.startswith(
        'rule names used by more than one rule: "svc" (3 rules), "other" (2 rules). '
        "Each rule still runs and reports its own result: the first under its name, the "
        "others as NAME#2, NAME#3, ... (the smallest number no other rule uses); "
        "`netchecks validate` lists them"
    )


def test_a_name_with_a_line_break_falls_back_to_the_plain_message() -> None:
    (message,) = _warnings(["a\nb", "a\nb"])
    assert message.startswith("rule names are used by more than one rule. Each rule still runs")
