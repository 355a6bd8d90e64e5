"""docs/migrating-from-0.10.md says nothing the code contradicts.

Each claim of the guide that names a value the code holds (a field, a label, a
setting, a default, a reason) is read from the page and compared with that value.
"""

from __future__ import annotations

import re

from netchecks_core.crd import crd
from netchecks_core.naming import (
    ANNOTATION_OPERATOR_VERSION,
    LABEL_INSTANCE,
    LABEL_POLICY_ENGINE,
    POLICY_ENGINE,
    REPORT_ANNOTATIONS_0_10,
)
from netchecks_core.policyreport import DEFAULT_REPORT_API
from netchecks_core.rules import REDACTED_FIELDS
from netchecks_operator import status
from netchecks_operator.podtemplate import PROBE_CONTAINER
from netchecks_results.settings import ResultsSettings

from tests.docs.markdown import code_names, page

GUIDE = page("migrating-from-0.10.md")


def claim(lead: str) -> str:
    """The text of the bullet of "What stays the same" that starts with ``**lead**``."""
    found = re.search(rf"^- \*\*{re.escape(lead)}\*\*(.*?)(?=^- |^#|\Z)", GUIDE.text, re.M | re.S)
    assert found, f"the guide has no bullet **{lead}**"
    return " ".join(found.group(1).split())


def test_redacted_fields_are_the_ones_the_code_redacts() -> None:
    assert set(code_names(claim("Redaction"))) == set(REDACTED_FIELDS)


def test_report_labels_and_annotations_are_the_ones_written() -> None:
    text = claim("PolicyReports")
    assert f"`{LABEL_INSTANCE}`" in text
    assert f"`{LABEL_POLICY_ENGINE}: {POLICY_ENGINE}`" in text
    for key, value in REPORT_ANNOTATIONS_0_10.items():
        assert f"`{key}: {value}`" in text
    assert f"`{ANNOTATION_OPERATOR_VERSION}`" in text


def test_probe_container_name_is_the_operators() -> None:
    assert f"named `{PROBE_CONTAINER}`" in claim("Probe Pods")


def test_max_results_setting_alias_and_default_are_the_services() -> None:
    text = claim("Settings")
    field = ResultsSettings.model_fields["max_results"]
    assert f"(default {field.default}," in text
    aliases = getattr(field.validation_alias, "choices", [])
    for name in code_names(text)[:2]:  # POLICY_REPORT_MAX_RESULTS sets NETCHECKS_MAX_RESULTS
        assert name in aliases


def test_status_reasons_named_exist_in_the_operator() -> None:
    text = claim("Status")
    reasons = {
        getattr(status, name)
        for name in dir(status)
        if name.isupper() and isinstance(getattr(status, name), str)
    }
    named = [n for n in code_names(text) if n[0].isupper() and " " not in n]
    assert named
    assert set(named) <= reasons | {status.CONDITION}


def test_printer_columns_named_are_the_crds() -> None:
    text = claim("Status")
    version = crd()["spec"]["versions"][0]
    columns = {c["name"] for c in version.get("additionalPrinterColumns", [])}
    said = re.search(r"; the ([^;]*?) printer columns", text)
    assert said, "the Status bullet names the printer columns"
    named = {n.strip() for n in re.split(r",| and ", said.group(1)) if n.strip()}
    assert named <= columns, named - columns


def test_the_default_report_api_is_the_one_the_table_names() -> None:
    (table,) = GUIDE.tables_in("What changed (for the better)")
    (row,) = [r for r in table.rows if r[0] == "report APIs"]
    assert row[2].startswith(f"`{DEFAULT_REPORT_API.api_version}` by default")
