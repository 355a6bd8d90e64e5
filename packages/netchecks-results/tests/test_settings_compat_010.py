"""Settings Netchecks 0.10 read keep working in the results service (issue 14)."""

from __future__ import annotations

import pytest
from netchecks_results.settings import ResultsSettings
from netchecks_service.errors import SettingsError
from netchecks_service.settings import load_settings


def test_policy_report_max_results_is_an_alias_of_max_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICY_REPORT_MAX_RESULTS", "50")
    assert load_settings(ResultsSettings).max_results == 50
    assert load_settings(ResultsSettings).limits.max_results == 50


def test_our_own_name_wins_over_the_old_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_REPORT_MAX_RESULTS", "50")
    monkeypatch.setenv("NETCHECKS_MAX_RESULTS", "70")
    assert load_settings(ResultsSettings).max_results == 70


def test_a_bad_old_value_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_REPORT_MAX_RESULTS", "lots")
    with pytest.raises(SettingsError, match=r"(?i)max_results|POLICY_REPORT_MAX_RESULTS"):
        load_settings(ResultsSettings)
