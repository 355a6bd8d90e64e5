"""The documentation stays true: its examples validate and run, its tables match the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from netchecks_core.assertion import NetworkAssertion
from netchecks_core.crd import crd
from netchecks_core.policyreport import PolicyReport
from netchecks_core.probe_config import ProbeConfig
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.reasons import REASONS
from netchecks_core.rules import RULE_ADAPTER, RuleBase
from netchecks_core.validation import validate_config, validate_manifest
from netchecks_probe.checks import CHECK_MODULES, load_check

from tests.docs.markdown import DOCS, CodeBlock, first_code, page, pages
from tools.targets.local import LocalTargets

ROOT = DOCS.parent
KUBERNETES_VERSION = "1.33"

BLOCKS = [b for name in pages() for b in page(name).blocks if b.language in ("yaml", "json")]
RUNNABLE = [b for b in BLOCKS if b.runnable]


def documents(block: CodeBlock) -> list[Any]:
    if block.language == "json":
        return [json.loads(block.text)]
    return [d for d in yaml.safe_load_all(block.text) if d is not None]


def validate_document(document: Any) -> str:
    """Validate one example with the model it is an instance of; returns what it is."""
    assert isinstance(document, dict), "an example is a mapping"
    kind = str(document.get("kind", ""))
    if kind == "NetworkAssertion":
        NetworkAssertion.model_validate(document)
        report = validate_manifest(document)
        assert report.messages() == [], report
        return kind
    if "assertions" in document:
        ProbeConfig.model_validate(document)
        report = validate_config(document)
        assert report.messages() == [], report
        return "probe config"
    if document.get("type") == "netcheck-output":
        ProbeOutput.model_validate(document)
        return "probe output"
    if kind == "PolicyReport":
        PolicyReport.model_validate(document)
        return kind
    if kind in ("ConfigMap", "Secret", "NetworkPolicy", "PrometheusRule", "Namespace"):
        if kind != "PrometheusRule":  # a CRD kubernetes-validate has no schema for
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        return kind
    if "groups" in document:
        for group in document["groups"]:
            for rule in group["rules"]:
                assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
        return "prometheus rules"
    if "jobs" in document:  # a GitHub Actions workflow (tests/docs/test_ci_docs.py)
        return "github workflow"
    if document and all(isinstance(job, dict) and "script" in job for job in document.values()):
        return "gitlab ci jobs"  # tests/docs/test_ci_docs.py checks and runs them
    raise AssertionError(f"unknown kind of example: {sorted(document)}")


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.where)
def test_every_yaml_and_json_example_validates_with_the_models(block: CodeBlock) -> None:
    kinds = [validate_document(d) for d in documents(block)]

    assert kinds


@pytest.fixture(scope="module")
def targets(local_targets: LocalTargets) -> dict[str, Any]:
    return local_targets.context()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.where)
def test_runnable_examples_pass_every_rule_against_local_servers(
    block: CodeBlock, targets: dict[str, Any], tmp_path: Path
) -> None:
    (config,) = documents(block)
    for context in config["contexts"]:
        if context["name"] == "targets":
            unknown = set(context["data"]) - set(targets)
            assert not unknown, f"no local target for {unknown}"
            context["data"] = {key: targets[key] for key in context["data"]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))

    completed = subprocess.run(
        [sys.executable, "-m", "netchecks_probe", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )

    output = json.loads(completed.stdout.splitlines()[-1])
    statuses = {
        r["name"]: (r["status"], r.get("message"))
        for a in output["assertions"]
        for r in a["results"]
    }
    assert all(s == "pass" for s, _ in statuses.values()), statuses
    assert completed.returncode == 0


def test_there_are_runnable_examples_for_each_common_assertion() -> None:
    sections = {b.section for b in RUNNABLE}

    assert {"Status codes", "JSON bodies and headers", "DNS answers", "Latency"} <= sections
    assert "Certificate expiry and TLS" in sections


# -- the NetworkAssertion reference ---------------------------------------------------------


def schema_paths(node: dict[str, Any], path: str) -> set[str]:
    found = {path}
    for name, child in (node.get("properties") or {}).items():
        found |= schema_paths(child, f"{path}.{name}")
    if "items" in node:
        found |= schema_paths(node["items"], path + "[]")
    return found


def crd_paths() -> set[str]:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    paths = schema_paths(schema["spec"], "spec") | schema_paths(schema["status"], "status")
    return {p for p in paths if not p.endswith("[]") and p not in ("spec", "status")}


def common_rule_fields() -> set[str]:
    return {info.alias or name for name, info in RuleBase.model_fields.items()} | {
        "validate.pattern",
        "validate.message",
    }


def test_reference_documents_every_field_of_the_crd_and_no_other() -> None:
    reference = page("network-assertion.md")
    documented = {
        first_code(row[0])
        for table in reference.tables
        for row in table.rows
        if first_code(row[0]).startswith(("spec", "status"))
    }
    type_fields = {
        f"spec.rules[].{name}" for fields in documented_type_options().values() for name in fields
    }

    assert documented | type_fields == crd_paths()
    assert {f"spec.rules[].{f}" for f in common_rule_fields()} <= documented


def documented_type_options() -> dict[str, list[str]]:
    checks = page("checks.md")
    options = {}
    for rule_type in CHECK_MODULES:
        tables = checks.tables_in(f"`{rule_type}`")
        option_tables = [t for t in tables if t.header[0] == "option"]
        options[rule_type] = [first_code(c) for t in option_tables for c in t.column()]
    return options


def model_fields(rule_type: str) -> set[str]:
    """Wire names of a type's own fields (nested grants rules as dotted paths)."""
    schema = RULE_ADAPTER.json_schema(by_alias=True)
    defs = schema["$defs"]
    (model,) = [
        d
        for d in defs.values()
        if d.get("properties", {}).get("type", {}).get("const") == rule_type
    ]

    def walk(node: dict[str, Any], prefix: str) -> set[str]:
        names: set[str] = set()
        for name, prop in (node.get("properties") or {}).items():
            names.add(prefix + name)
            target = prop.get("items", prop) if prop.get("type") == "array" else prop
            ref = target.get("$ref") or next(
                (v["$ref"] for v in target.get("anyOf", []) if "$ref" in v), None
            )
            if ref:
                suffix = "[]." if prop.get("type") == "array" else "."
                names |= walk(defs[ref.rsplit("/", 1)[-1]], prefix + name + suffix)
        return names

    return walk(model, "") - common_rule_fields() - {"type", "validate"}


@pytest.mark.parametrize("rule_type", list(CHECK_MODULES))
def test_each_check_type_documents_exactly_its_options(rule_type: str) -> None:
    assert set(documented_type_options()[rule_type]) == model_fields(rule_type)


@pytest.mark.parametrize("rule_type", list(CHECK_MODULES))
def test_each_check_type_documents_its_default_rule(rule_type: str) -> None:
    (block,) = page("checks.md").blocks_in(f"`{rule_type}`", "cel")

    assert block.text.strip() == load_check(rule_type).DEFAULT_RULE


def test_failure_reasons_table_is_exactly_the_core_reasons() -> None:
    (table,) = page("checks.md").tables_in("Failure reasons")

    assert {first_code(c): row[1] for c, row in zip(table.column(), table.rows, strict=True)} == (
        REASONS
    )


def test_reasons_named_per_check_type_exist() -> None:
    text = page("checks.md").text
    named = set(re.findall(r"`([a-z-]+)`", "".join(re.findall(r"Reasons: (.*?)\n\n", text, re.S))))

    assert named and named <= set(REASONS)


# -- status reasons, settings, links ----------------------------------------------------------


def test_troubleshooting_explains_every_status_reason() -> None:
    from netchecks_operator import status

    (table,) = page("troubleshooting.md").tables_in("Status reasons")
    reasons = {status.PROBE_COMPLETE, status.PROGRESSING, status.INVALID_SPEC}
    reasons |= {status.RESULT_PARSE_ERROR, status.RECONCILE_ERROR, status.CONTEXT_NOT_FOUND}

    assert {first_code(c) for c in table.column()} == reasons


def env_names(settings_cls: Any) -> set[str]:
    names = set()
    prefix = settings_cls.model_config.get("env_prefix", "")
    for name, info in settings_cls.model_fields.items():
        if name in ("identity", "kubeconfig"):
            continue  # set per replica by the chart / by KUBECONFIG, not tuned
        alias = info.validation_alias
        choices = getattr(alias, "choices", None)
        names.add(str(choices[0]) if choices else f"{prefix}{name}".upper())
    return names


@pytest.mark.parametrize(
    ("section", "settings"),
    [
        ("Settings shared by both services", "netchecks_service.settings:ServiceSettings"),
        ("Operator settings", "netchecks_operator.settings:OperatorSettings"),
        ("Results service settings", "netchecks_results.settings:ResultsSettings"),
    ],
)
def test_operating_guide_lists_every_setting(section: str, settings: str) -> None:
    import importlib

    from netchecks_service.settings import ServiceSettings

    module, name = settings.split(":")
    cls = getattr(importlib.import_module(module), name)
    (table,) = page("operating.md").tables_in(section)
    documented = {first_code(c) for c in table.column()}
    shared = env_names(ServiceSettings)
    expected = shared if cls is ServiceSettings else env_names(cls) - shared

    assert documented == expected


@pytest.mark.parametrize("name", pages())
def test_relative_links_point_at_files_that_exist(name: str) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page(name).text)
    missing = [
        link
        for link in links
        if not link.startswith(("http://", "https://", "mailto:")) and not (DOCS / link).exists()
    ]

    assert missing == []


def test_readme_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text() + page("README.md").text

    assert all(name in readme for name in pages() if name != "README.md")
