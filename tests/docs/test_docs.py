"""The documentation stays true: its examples validate and run, its tables match the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
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
from netchecks_core.schema import assertion_schema, probe_config_schema
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


def schema_errors(schema: dict[str, Any], document: Any) -> list[str]:
    """What the JSON Schema of ``netchecks schema`` (as editors use it) says is wrong."""
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def validate_document(document: Any) -> str:
    """Validate one example with the model it is an instance of; returns what it is."""
    assert isinstance(document, dict), "an example is a mapping"
    kind = str(document.get("kind", ""))
    if kind == "NetworkAssertion":
        NetworkAssertion.model_validate(document)
        report = validate_manifest(document)
        assert report.messages() == [], report
        assert schema_errors(assertion_schema(), document) == []
        return kind
    if "assertions" in document:
        ProbeConfig.model_validate(document)
        report = validate_config(document)
        assert report.messages() == [], report
        assert schema_errors(probe_config_schema(), document) == []
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
@pytest.mark.e2e  # starts a process
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


def schema_descriptions(node: dict[str, Any], path: str) -> dict[str, str]:
    """Each field of a CRD schema node by path (``spec.rules[].name``), with its description."""
    found = {path: node.get("description", "")}
    for name, child in (node.get("properties") or {}).items():
        found |= schema_descriptions(child, f"{path}.{name}")
    if "items" in node:
        found |= schema_descriptions(node["items"], path + "[]")
    return found


def crd_descriptions() -> dict[str, str]:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    fields = schema_descriptions(schema["spec"], "spec")
    fields |= schema_descriptions(schema["status"], "status")
    return {p: d for p, d in fields.items() if not p.endswith("[]") and p not in ("spec", "status")}


def crd_paths() -> set[str]:
    return set(crd_descriptions())


def one_line(text: str) -> str:
    return " ".join(text.split())


def reference_rows() -> dict[str, str]:
    """The reference's field tables: path -> meaning (the last cell)."""
    reference = page("network-assertion.md")
    return {
        first_code(row[0]): one_line(row[-1])
        for table in reference.tables
        for row in table.rows
        if first_code(row[0]).startswith(("spec", "status"))
    }


def common_rule_fields() -> set[str]:
    return {info.alias or name for name, info in RuleBase.model_fields.items()} | {
        "validate.pattern",
        "validate.message",
    }


def test_reference_documents_every_field_of_the_crd_and_no_other() -> None:
    documented = set(reference_rows())
    type_fields = {
        f"spec.rules[].{name}" for fields in documented_type_options().values() for name in fields
    }

    assert documented | type_fields == crd_paths()
    assert {f"spec.rules[].{f}" for f in common_rule_fields()} <= documented


def test_reference_meanings_are_the_models_descriptions() -> None:
    """One source: the words of each field's row are its description in the CRD (the
    models' ``Field(description=...)``), which ``kubectl explain`` prints too."""
    described = crd_descriptions()
    wrong = {
        path: f"the models say: {described[path]}"
        for path, meaning in reference_rows().items()
        if meaning != described.get(path)
    }

    assert wrong == {}


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
    return set(model_descriptions(rule_type))


def model_descriptions(rule_type: str) -> dict[str, str]:
    """A type's own fields (nested grants rules as dotted paths) with their descriptions."""
    schema = RULE_ADAPTER.json_schema(by_alias=True)
    defs = schema["$defs"]
    (model,) = [
        d
        for d in defs.values()
        if d.get("properties", {}).get("type", {}).get("const") == rule_type
    ]

    def walk(node: dict[str, Any], prefix: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for name, prop in (node.get("properties") or {}).items():
            names[prefix + name] = prop.get("description", "")
            target = prop.get("items", prop) if prop.get("type") == "array" else prop
            ref = target.get("$ref") or next(
                (v["$ref"] for v in target.get("anyOf", []) if "$ref" in v), None
            )
            if ref:
                suffix = "[]." if prop.get("type") == "array" else "."
                names |= walk(defs[ref.rsplit("/", 1)[-1]], prefix + name + suffix)
        return names

    common = common_rule_fields() | {"type", "validate"}
    return {name: text for name, text in walk(model, "").items() if name not in common}


@pytest.mark.parametrize("rule_type", list(CHECK_MODULES))
def test_each_check_type_documents_exactly_its_options(rule_type: str) -> None:
    assert set(documented_type_options()[rule_type]) == model_fields(rule_type)


@pytest.mark.parametrize("rule_type", list(CHECK_MODULES))
def test_each_check_type_s_option_meanings_are_the_models_descriptions(rule_type: str) -> None:
    described = model_descriptions(rule_type)
    tables = [t for t in page("checks.md").tables_in(f"`{rule_type}`") if t.header[0] == "option"]
    wrong = {
        first_code(row[0]): f"the models say: {described.get(first_code(row[0]))}"
        for table in tables
        for row in table.rows
        if one_line(row[-1]) != described.get(first_code(row[0]))
    }

    assert wrong == {}


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


def test_status_reference_explains_every_condition_and_passing_reason() -> None:
    from netchecks_operator import status

    (table,) = page("network-assertion.md").tables_in("Conditions")
    assert {first_code(c) for c in table.column()} == set(status.OWN_CONDITIONS)
    passing = {status.RULES_PASSING, status.RULES_FAILING, status.RULES_ERRORING}
    for reason in passing | {status.NO_RESULTS}:
        assert (
            f"`{reason}`" in table.rows[[first_code(c) for c in table.column()].index("Passing")][1]
        )


def get_nas_outputs() -> list[tuple[str, list[str]]]:
    """(where, lines) of every ``$ kubectl get nas -A`` output shown in the README and docs."""
    texts = [("README.md", (ROOT / "README.md").read_text())]
    texts += [(name, page(name).text) for name in pages()]
    found = []
    for where, text in texts:
        for match in re.finditer(r"^\$ kubectl get nas -A\n((?:.+\n)+)", text, re.MULTILINE):
            found.append((where, [line for line in match.group(1).splitlines() if line != "```"]))
    return found


def test_kubectl_get_nas_output_shown_has_the_crds_columns() -> None:
    """What the README and docs show ``kubectl get nas -A`` printing: the CRD's
    priority-0 columns after NAMESPACE and NAME, each row aligned under them."""
    columns = crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    expected = ["NAMESPACE", "NAME", *(c["name"].upper() for c in columns if not c.get("priority"))]
    outputs = get_nas_outputs()
    assert {where for where, _ in outputs} >= {"README.md", "network-assertion.md"}
    for where, (header, *rows) in outputs:
        assert re.split(r"\s{2,}", header.strip()) == expected, where
        starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
        for row in rows:
            cells = [m.start() for m in re.finditer(r"\S+(?: \S+)*", row)]
            assert set(cells) <= set(starts), (where, row)


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
