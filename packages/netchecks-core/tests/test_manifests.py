"""Loading manifests as a library does: typed assertions and rules, or the validator's problems."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import netchecks_core
import pytest
import yaml
from netchecks_core import (
    DnsRule,
    HttpRule,
    ManifestError,
    NetworkAssertion,
    NetworkAssertionSpec,
    RuleError,
    TcpRule,
    TemplatedRule,
    load_manifests,
    parse_manifests,
    validate_manifest,
)
from netchecks_core.limits import MAX_YAML_ALIASES
from netchecks_core.manifests import MAX_MANIFEST_BYTES

WEB = {
    "apiVersion": "netchecks.io/v1",
    "kind": "NetworkAssertion",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "schedule": "*/10 * * * *",
        "rules": [
            {"name": "home", "type": "http", "url": "https://shop.test/", "timeout": 5},
            {"name": "resolves", "type": "dns", "host": "shop.test", "server": "10.0.0.10"},
        ],
    },
}
DATABASE = {
    "apiVersion": "netchecks.io/v1",
    "kind": "NetworkAssertion",
    "metadata": {"name": "database"},
    "spec": {
        "context": [{"name": "db", "inline": {"host": "db.test", "port": 5432}}],
        "rules": [
            {"name": "open", "type": "tcp", "host": "{{ db.host }}", "port": 5432},
            {"name": "templated", "type": "tcp", "host": "db.test", "port": "{{ db.port }}"},
        ],
    },
}
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}


def write_yaml(path: Path, *documents: object) -> Path:
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path


def test_a_multi_document_file_loads_as_typed_assertions_with_typed_rules(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "deploy.yaml", WEB, CONFIG_MAP, DATABASE)

    web, database = load_manifests(path)

    assert (web.source, database.source) == (f"{path}[0]", f"{path}[2]")
    assert web.valid and web.report.problems == []
    assert isinstance(web.assertion, NetworkAssertion)
    assert web.assertion.metadata["name"] == "web"
    assert web.assertion.spec.schedule == "*/10 * * * *"
    home, resolves = web.assertion.spec.typed_rules()
    assert isinstance(home, HttpRule)
    assert (home.url, home.method, home.verify_tls_cert, home.effective_timeout) == (
        "https://shop.test/",
        "get",
        True,
        5.0,
    )
    assert isinstance(resolves, DnsRule)
    assert (resolves.host, resolves.server, resolves.record_type) == ("shop.test", "10.0.0.10", "A")


def test_rules_with_templates_are_typed_where_they_can_be(tmp_path: Path) -> None:
    (database,) = load_manifests(write_yaml(tmp_path / "db.yaml", DATABASE))
    assert database.assertion is not None

    opened, templated = database.assertion.spec.typed_rules()

    assert isinstance(opened, TcpRule)
    assert (opened.host, opened.port) == ("{{ db.host }}", 5432)
    assert templated == TemplatedRule(
        type="tcp",
        name="templated",
        raw=DATABASE["spec"]["rules"][1],  # type: ignore[index]
        templated=("port",),
    )


def test_a_json_file_loads_too(tmp_path: Path) -> None:
    path = tmp_path / "web.json"
    path.write_text(json.dumps(WEB))

    (web,) = load_manifests(path)

    assert web.source == str(path)
    assert web.assertion is not None
    assert [rule.type for rule in web.assertion.spec.typed_rules()] == ["http", "dns"]


def test_invalid_documents_carry_the_validators_problems_and_the_rest_still_load() -> None:
    broken = {
        **WEB,
        "metadata": {"name": "broken"},
        "spec": {
            "schedule": "every day",
            "rules": [
                {"name": "a", "type": "tcp", "host": "x", "port": 70000, "validaton": "true"},
                {"name": "b", "type": "smtp"},
            ],
        },
    }
    text = yaml.safe_dump_all([broken, WEB, ["not", "an", "object"]])

    bad, good, garbage = parse_manifests(text, "deploy.yaml")

    assert (bad.valid, good.valid, garbage.valid) == (False, True, False)
    assert bad.assertion is None and garbage.assertion is None
    assert bad.report.messages() == validate_manifest(broken).messages()
    messages = "\n".join(bad.report.messages())
    assert "spec.rules[0].port: Input should be less than or equal to 65535" in messages
    assert "spec.rules[0].validaton: unknown field (did you mean 'validation'?)" in messages
    assert "spec.rules[1]: unknown type 'smtp'" in messages
    assert "spec.schedule:" in messages
    assert garbage.report.messages() == ["(document): must be an object, got a list"]


def test_a_document_of_another_kind_is_a_problem_but_kubernetes_builtins_are_skipped() -> None:
    other = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {}}

    (widget,) = parse_manifests(yaml.safe_dump_all([CONFIG_MAP, policy, other]))

    assert widget.report.messages() == [
        "apiVersion: 'example.com/v1' 'Widget' is not a NetworkAssertion "
        "(apiVersion: netchecks.io/v1, kind: NetworkAssertion)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a.yaml: is empty"),
        ("---\n---\n", "a.yaml: holds no document"),
        ("kind: [unclosed\n", "a.yaml: invalid YAML: expected ',' or ']', but got '<stream end>'"),
        ('{"kind": ]', "a.yaml: invalid JSON at line 1 column 10: Expecting value"),
        ("a: &a [1]\n" + "".join(f"b{i}: *a\n" for i in range(MAX_YAML_ALIASES + 1)), "aliases"),
        ("[" * 10_000 + "]" * 10_000, "a.yaml: the data is nested more than"),
    ],
)
def test_text_that_cannot_be_parsed_raises_a_clear_manifest_error(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifests(text, "a.yaml")

    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None


def test_files_that_cannot_be_read_raise_a_clear_manifest_error(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_MANIFEST_BYTES + 1))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")

    for path, message in [
        (tmp_path / "missing.yaml", "cannot read: No such file or directory"),
        (tmp_path, "cannot read: Is a directory"),
        (big, f"is larger than {MAX_MANIFEST_BYTES} bytes"),
        (binary, "not UTF-8 text"),
    ]:
        with pytest.raises(ManifestError, match=message):
            load_manifests(path)


def test_typed_rules_of_a_spec_built_without_the_validator_raise_its_problems() -> None:
    spec = NetworkAssertionSpec(rules=[{"name": "x", "type": "tcp", "host": "h", "port": 0}])

    with pytest.raises(RuleError) as caught:
        spec.typed_rules()

    assert [str(p) for p in caught.value.problems] == [
        "spec.rules[0].port: Input should be greater than or equal to 1"
    ]


def test_typed_rules_reads_the_rules_of_a_probe_config_too() -> None:
    rules = [{"type": "tcp", "host": "h", "port": 80}, {"type": "http", "url": "http://h/"}]

    assert [type(rule) for rule in netchecks_core.typed_rules(rules)] == [TcpRule, HttpRule]


def test_the_assertion_schema_accepts_valid_manifests_and_refuses_bad_ones() -> None:
    schema = netchecks_core.assertion_schema()
    rule = {"name": "t", "type": "tcp", "host": "h", "port": 1, "expected": "maybe"}
    bad_expected = {**WEB, "spec": {"rules": [rule]}}
    no_rules = {**WEB, "spec": {"schedule": "@daily"}}

    jsonschema.validate(WEB, schema)
    jsonschema.validate(DATABASE, schema)  # a templated port is accepted
    for document in (bad_expected, no_rules):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, schema)


def test_the_probe_file_schemas_are_json_schemas() -> None:
    for schema in (netchecks_core.probe_config_schema(), netchecks_core.probe_output_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
    config = {"assertions": [{"name": "a", "rules": [{"type": "tcp", "host": "h", "port": 1}]}]}
    jsonschema.validate(config, netchecks_core.probe_config_schema())
