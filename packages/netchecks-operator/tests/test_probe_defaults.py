"""Probe Pod defaults of the operator (set by the Helm chart's ``probe`` values)."""

from __future__ import annotations

from typing import Any

import pytest
from netchecks_operator.plan import Observed, plan
from netchecks_operator.podtemplate import PROBE_CONTAINER
from netchecks_operator.settings import OperatorSettings
from netchecks_service.errors import SettingsError
from netchecks_service.settings import load_settings

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:00Z"
DEFAULTS = (
    '{"metadata": {"annotations": {"team": "net"}},'
    ' "spec": {"imagePullSecrets": [{"name": "regcred"}],'
    ' "nodeSelector": {"pool": "probes"},'
    ' "tolerations": [{"key": "probes", "operator": "Exists", "effect": "NoSchedule"}]}}'
)


def _template(settings: OperatorSettings, obj: dict[str, Any]) -> dict[str, Any]:
    result = plan(Observed(assertion=obj), settings.plan_settings(), NOW)
    job = next(a for a in result.actions if a.kind == "Job").body
    assert job is not None
    template: dict[str, Any] = job["spec"]["template"]
    return template


def test_pod_defaults_from_the_environment_reach_every_probe_pod(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETCHECKS_PROBE_POD_DEFAULTS", DEFAULTS)
    settings = load_settings(OperatorSettings)
    template = _template(settings, AssertionBuilder("web").with_http("http://example/").stored())
    assert template["metadata"]["annotations"]["team"] == "net"
    spec = template["spec"]
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["nodeSelector"] == {"pool": "probes"}
    assert spec["tolerations"][0]["key"] == "probes"
    probe = next(c for c in spec["containers"] if c["name"] == PROBE_CONTAINER)
    assert probe["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_assertions_template_wins_over_the_pod_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETCHECKS_PROBE_POD_DEFAULTS", DEFAULTS)
    settings = load_settings(OperatorSettings)
    obj = (
        AssertionBuilder("web")
        .with_http("http://example/")
        .with_spec(template={"spec": {"nodeSelector": {"pool": "edge"}, "tolerations": []}})
        .stored()
    )
    spec = _template(settings, obj)["spec"]
    assert spec["nodeSelector"] == {"pool": "edge"}
    assert spec["tolerations"] == []
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "must be a JSON Pod template"),
        ('{"containers": []}', "unknown field(s) containers"),
    ],
)
def test_bad_pod_defaults_are_refused_at_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("NETCHECKS_PROBE_POD_DEFAULTS", value)
    with pytest.raises(SettingsError) as error:
        load_settings(OperatorSettings)
    assert "PROBE_POD_DEFAULTS" in str(error.value)
    assert message in str(error.value)
