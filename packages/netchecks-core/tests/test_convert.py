"""NetworkAssertion spec -> probe config, as compat.md describes."""

from __future__ import annotations

from typing import Any

from netchecks_core.assertion import NetworkAssertionSpec
from netchecks_core.convert import probe_config_from_spec
from netchecks_core.probe_config import ProbeConfig

SPEC: dict[str, Any] = {
    "rules": [
        {"name": "web", "type": "http", "url": "http://{{ cfg.host }}/", "expected": "pass"},
        {"name": "blocked", "type": "tcp", "host": "db", "port": 5432, "expected": "fail"},
    ],
    "context": [
        {"name": "cfg", "configMap": {"name": "my-config"}},
        {"name": "creds", "secret": {"name": "my-secret"}},
        {"name": "inline-data", "inline": {"token": "{{ cfg.host }}", "n": 1}},
    ],
}


def test_each_rule_becomes_an_assertion_named_after_it() -> None:
    config = probe_config_from_spec(NetworkAssertionSpec.model_validate(SPEC))
    assert [a["name"] for a in config["assertions"]] == ["web", "blocked"]
    assert config["assertions"][1]["rules"] == [SPEC["rules"][1]]


def test_configmap_and_secret_contexts_become_directories_under_mnt() -> None:
    config = probe_config_from_spec(NetworkAssertionSpec.model_validate(SPEC))
    assert config["contexts"] == [
        {"name": "cfg", "type": "directory", "path": "/mnt/cfg"},
        {"name": "creds", "type": "directory", "path": "/mnt/creds", "secret": True},
        {"name": "inline-data", "type": "inline", "data": {"token": "{{ cfg.host }}", "n": 1}},
    ]
    assert "disableRedaction" not in config


def test_mount_paths_can_be_given_per_context() -> None:
    config = probe_config_from_spec(
        NetworkAssertionSpec.model_validate(SPEC), {"creds": "/tmp/creds"}, mount_root="/ctx"
    )
    assert [c.get("path") for c in config["contexts"]] == ["/ctx/cfg", "/tmp/creds", None]


def test_disable_redaction_is_carried_into_the_config() -> None:
    spec = NetworkAssertionSpec.model_validate({**SPEC, "disableRedaction": True})
    assert probe_config_from_spec(spec)["disableRedaction"] is True


def test_result_is_a_valid_probe_config_and_does_not_share_state() -> None:
    spec = NetworkAssertionSpec.model_validate(SPEC)
    config = probe_config_from_spec(spec)
    ProbeConfig.model_validate(config)
    config["assertions"][0]["rules"][0]["url"] = "changed"
    assert spec.rules[0]["url"] == "http://{{ cfg.host }}/"
