"""The real ``kubectl explain`` describes every NetworkAssertion field (the descriptions
come from the core models through the chart's CRD and kubesim's OpenAPI documents)."""

from __future__ import annotations

import re

import pytest

from tests.kubectl.kubectl import Kubectl

#: What a user explores, level by level, then all at once.
EXPLAINED = [
    ("networkassertion",),
    ("networkassertion.spec",),
    ("networkassertion.spec.rules",),
    ("networkassertion.spec.rules.validate",),
    ("networkassertion.spec.rules.rules.roles",),
    ("networkassertion.spec.context",),
    ("networkassertion.spec.context.secret",),
    ("networkassertion.status",),
    ("networkassertion.status.conditions",),
    ("networkassertion.spec", "--recursive"),
    ("networkassertion.status", "--recursive"),
]


@pytest.mark.parametrize("args", EXPLAINED, ids=" ".join)
def test_explain_prints_a_description_for_every_field(
    kubectl_session: Kubectl, args: tuple[str, ...]
) -> None:
    out = kubectl_session.out("explain", *args)

    assert "FIELD" in out or "FIELDS:" in out
    assert "<no description>" not in out, out


def test_explain_spec_rules_describes_each_field_for_its_rule_types(
    kubectl_session: Kubectl,
) -> None:
    out = kubectl_session.out("explain", "networkassertion.spec.rules")
    fields = re.findall(r"^  ([\w-]+)\s+<", out, re.MULTILINE)

    assert len(fields) >= 30
    assert {"port", "record-type", "verify-tls-cert", "dsn", "retry-delay"} <= set(fields)
    port = re.search(r"^  port\s+<\w+>\n((?:    .*\n)+)", out, re.MULTILINE)
    assert port is not None, out
    assert "[dns] Port of `server`" in port.group(1)
    assert "[tcp] Required. Port to connect to" in port.group(1)


def test_explain_one_field_prints_its_description(kubectl_session: Kubectl) -> None:
    out = kubectl_session.out("explain", "networkassertion.spec.schedule")

    assert re.search(r"^FIELD:\s+schedule <string>", out, re.MULTILINE), out
    assert "Cron" in out
