"""The chart's alerts, evaluated by Prometheus itself: ``promtool test rules``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.alerts.rules import prometheus_tool, rule_groups, write_rule_file

HERE = Path(__file__).resolve().parent
UNIT_TESTS = HERE / "netchecks-alerts.test.yaml"
RULE_FILE = "netchecks-rules.yaml"


def alert_names() -> set[str]:
    return {rule["alert"] for group in rule_groups() for rule in group["rules"]}


def expectations() -> list[tuple[str, bool]]:
    """(alert, fires) of every check in the unit tests."""
    tests = yaml.safe_load(UNIT_TESTS.read_text())["tests"]
    return [
        (check["alertname"], bool(check["exp_alerts"]))
        for test in tests
        for check in test["alert_rule_test"]
    ]


def promtool(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [prometheus_tool("promtool"), *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.timeout(60)
@pytest.mark.e2e  # starts a process
def test_promtool_unit_tests_of_every_alert_pass(tmp_path: Path) -> None:
    write_rule_file(tmp_path / RULE_FILE)
    shutil.copy(UNIT_TESTS, tmp_path)

    checked = promtool(tmp_path, "check", "rules", RULE_FILE)
    tested = promtool(tmp_path, "test", "rules", UNIT_TESTS.name)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    checks = expectations()

    assert {name for name, fires in checks if fires} == alert_names()
    assert {name for name, fires in checks if not fires} == alert_names()


@pytest.mark.timeout(60)
@pytest.mark.e2e  # starts a process
def test_promtool_notices_a_wrong_expectation(tmp_path: Path) -> None:
    write_rule_file(tmp_path / RULE_FILE)
    broken = UNIT_TESTS.read_text().replace(
        'summary: "Network assertion default/web rule down is failing"',
        'summary: "Network assertion netchecks/web rule down is failing"',
    )
    (tmp_path / UNIT_TESTS.name).write_text(broken)

    tested = promtool(tmp_path, "test", "rules", UNIT_TESTS.name)

    assert tested.returncode != 0
    assert "NetchecksAssertionFailing" in tested.stdout + tested.stderr


def test_every_alert_links_its_runbook_section() -> None:
    from tests.docs.markdown import page

    headings = page("troubleshooting.md").text.lower()
    for group in rule_groups():
        for rule in group["rules"]:
            url = rule["annotations"]["runbook_url"]
            assert url.endswith("/docs/troubleshooting.md#" + rule["alert"].lower())
            assert f"### {rule['alert'].lower()}" in headings, rule["alert"]
