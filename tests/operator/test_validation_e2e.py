"""The one validator end to end: what kubesim admits but the validator refuses becomes
InvalidSpec with the CLI's message, and strict field validation refuses unknown fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from netchecks_core.assertion import GROUP, PLURAL, VERSION
from netchecks_core.validation import validate_manifest
from netchecks_service.kube import CONFIGMAPS, CRONJOBS, JOBS, KubeApi

from tests.operator.test_operator_e2e import condition, create, names, reason_is
from tools.harness import ServiceProcess, wait_for
from tools.kubesim.testing import body_of

CORPUS = Path(__file__).resolve().parents[2] / "packages/netchecks-core/tests/invalid_manifests"
pytestmark = pytest.mark.timeout(120)


def _manifest(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "NetworkAssertion",
        "metadata": {"name": "typo"},
        "spec": {"rules": [{"name": "r", "type": "internal"}], **spec},
    }


@pytest.mark.parametrize(
    "case", ["cron-minute-61", "cel-data-status-code-underscore", "template-unclosed"]
)
def test_operator_marks_invalid_spec_with_the_validators_message_and_creates_nothing(
    case: str, api: KubeApi, kube_namespace: str, operator: ServiceProcess
) -> None:
    document = yaml.safe_load((CORPUS / f"{case}.yaml").read_text())
    expected = "; ".join(validate_manifest(document).messages())

    create(api, kube_namespace, document)
    wait_for(reason_is(api, kube_namespace, case, "InvalidSpec"), what="InvalidSpec")

    assert condition(api, kube_namespace, case)["message"] == expected
    for resource in (CONFIGMAPS, CRONJOBS, JOBS):
        assert names(api, resource, kube_namespace) == []


def test_strict_field_validation_refuses_a_misspelt_rule_field_with_its_path(
    api: KubeApi, kube_api: Any, kube_namespace: str
) -> None:
    manifest = _manifest()
    manifest["spec"]["rules"][0]["validaton"] = "false"
    custom = client.CustomObjectsApi(kube_api)

    with pytest.raises(client.ApiException) as refused:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, kube_namespace, PLURAL, manifest, field_validation="Strict"
        )

    assert refused.value.status == 400
    assert body_of(refused.value)["message"] == (
        'NetworkAssertion in version "v1" cannot be handled as a NetworkAssertion: '
        'strict decoding error: unknown field "spec.rules[0].validaton"'
    )


def test_admission_takes_templates_where_a_number_or_boolean_goes(
    api: KubeApi, kube_api: Any, kube_namespace: str
) -> None:
    custom = client.CustomObjectsApi(kube_api)
    rule = {
        "name": "r",
        "type": "tcp",
        "host": "127.0.0.1",
        "port": "{{ c.port }}",
        "timeout": "{{ c.timeout }}",
    }
    http = {"name": "h", "type": "http", "url": "http://x/", "verify-tls-cert": "{{ c.v }}"}
    manifest = _manifest(rules=[rule, http])
    manifest["metadata"]["name"] = "templated"

    created = custom.create_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, manifest, field_validation="Strict"
    )

    assert created["spec"]["rules"] == [rule, http]
