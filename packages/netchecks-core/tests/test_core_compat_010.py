"""Compatibility with manifests Netchecks 0.10 accepted (issue 14), at the core's level.

Repeated rule names, context names with capitals and ConfigMap/Secret contexts
without ``name`` are valid; each repeated rule still gets a result name of its own.
"""

from __future__ import annotations

from typing import Any

from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.convert import probe_config_from_spec, result_names
from netchecks_core.crd import crd
from netchecks_core.validation import parse_rendered_rule, validate_manifest


def _manifest(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "netchecks.io/v1",
        "kind": "NetworkAssertion",
        "metadata": {"name": "dns-restrictions"},
        "spec": spec,
    }


REPEATED = {
    "rules": [
        {"name": "svc-lookup", "type": "dns", "host": "kubernetes.default"},
        {"name": "svc-lookup", "type": "dns", "host": "kubernetes.default.svc"},
        {"name": "other", "type": "dns", "host": "example.test"},
        {"name": "svc-lookup", "type": "dns", "host": "kubernetes.default.svc.cluster.local"},
    ]
}


def test_repeated_rule_names_are_valid_with_a_warning() -> None:
    report = validate_manifest(_manifest(REPEATED))
    assert report.valid, report.messages()
    assert [str(w) for w in report.warnings] == [
        "spec.rules[1].name: rule name 'svc-lookup' is used before (spec.rules[0]); "
        "its results are named 'svc-lookup#2'",
        "spec.rules[3].name: rule name 'svc-lookup' is used before (spec.rules[0]); "
        "its results are named 'svc-lookup#3'",
    ]


def test_repeated_rule_names_get_numbered_result_names() -> None:
    assert result_names(REPEATED["rules"]) == [
        "svc-lookup",
        "svc-lookup#2",
        "other",
        "svc-lookup#3",
    ]


def test_a_numbered_name_never_takes_the_name_of_another_rule() -> None:
    rules = [{"name": "a"}, {"name": "a"}, {"name": "a#2"}, {}]
    assert result_names(rules) == ["a", "a#3", "a#2", "rule-3"]


def test_the_probe_config_names_each_repeated_rule_apart() -> None:
    config = probe_config_from_spec(NetworkAssertionSpec.model_validate(REPEATED))
    names = [a["name"] for a in config["assertions"]]
    assert names == ["svc-lookup", "svc-lookup#2", "other", "svc-lookup#3"]
    assert [a["rules"][0]["name"] for a in config["assertions"]] == names
    assert config["assertions"][1]["rules"][0]["host"] == "kubernetes.default.svc"


def test_the_crd_does_not_refuse_repeated_rule_names() -> None:
    spec = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    rules = [v["rule"] for v in spec.get("x-kubernetes-validations", [])]
    assert not any("self.rules" in rule for rule in rules), rules


def test_context_names_with_capitals_are_valid() -> None:
    spec = {
        "context": [{"name": "customData", "inline": {"n": 5}}],
        "rules": [{"name": "r", "type": "internal", "validate": {"pattern": "customData.n == 5"}}],
    }
    report = validate_manifest(_manifest(spec))
    assert report.valid, report.messages()


def test_configmap_and_secret_contexts_without_name_use_the_context_name() -> None:
    spec = NetworkAssertionSpec.model_validate(
        {
            "context": [
                {"name": "settings", "configMap": {"optional": True}},
                {"name": "creds", "secret": {}},
            ],
            "rules": [{"name": "r", "type": "internal"}],
        }
    )
    assert spec.context[0].config_map is not None and spec.context[0].secret is None
    assert spec.context[0].source_name() == "settings"
    assert spec.context[1].source_name() == "creds"


def test_a_whole_template_giving_a_number_in_a_string_field_becomes_its_text() -> None:
    template = {
        "type": "http",
        "url": "http://x/",
        "headers": {"X-N": "{{ c.n }}", "X-B": "{{ c.b }}"},
    }
    rendered = {"type": "http", "url": "http://x/", "headers": {"X-N": 5, "X-B": True}}
    outcome = parse_rendered_rule(template, rendered)
    assert outcome.rule is not None, outcome.errors
    assert outcome.rule.model_dump(by_alias=True)["headers"] == {"X-N": "5", "X-B": "true"}


def test_a_literal_number_in_a_string_field_is_still_an_error() -> None:
    literal = {"type": "http", "url": "http://x/", "headers": {"X-N": 5}}
    outcome = parse_rendered_rule(literal, literal)
    assert outcome.rule is None
    assert "headers" in " ".join(outcome.errors)
