# The official client types every model field as Optional; tests read them directly.
# mypy: disable-error-code="union-attr,no-untyped-call,arg-type,index,operator,misc"
# mypy: disable-error-code="return-value,call-overload,attr-defined,no-any-return"
"""Checklist A5: lists, selectors, chunking and all-namespaces lists."""

from __future__ import annotations

import pytest
from kubernetes import client

from tools.kubesim.testing import body_of


def _names(items: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(i.metadata.name for i in items)


def test_empty_list_has_items_and_resource_version(kube_api, kube_namespace) -> None:
    """Real: `items: []` always; metadata.resourceVersion is the RV of the snapshot."""
    jobs = client.BatchV1Api(kube_api).list_namespaced_job(kube_namespace)
    assert jobs.items == [] and jobs.metadata.resource_version.isdigit()
    assert jobs.kind == "JobList" and jobs.api_version == "batch/v1"


def test_label_selectors_equality_and_set_based(core, kube_namespace) -> None:
    """Real: =, ==, !=, in, notin, key and !key, comma-separated as AND."""
    for name, labels in {
        "a": {"env": "prod", "tier": "web"},
        "b": {"env": "dev"},
        "c": {"tier": "db"},
        "d": {},
    }.items():
        core.create_namespaced_config_map(
            kube_namespace, {"metadata": {"name": name, "labels": labels}}
        )

    def names(selector: str) -> list[str]:
        return _names(
            core.list_namespaced_config_map(kube_namespace, label_selector=selector).items
        )

    assert names("env=prod") == ["a"]
    assert names("env==dev") == ["b"]
    assert names("env!=prod") == ["b", "c", "d"]
    assert names("env in (prod,dev)") == ["a", "b"]
    assert names("env notin (prod)") == ["b", "c", "d"]
    assert names("tier") == ["a", "c"]
    assert names("!tier") == ["b", "d"]
    assert names("env=prod,tier=web") == ["a"]
    assert names("env in (prod,dev),!tier") == ["b"]


def test_bad_label_selector_is_400(core, kube_namespace) -> None:
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_config_map(kube_namespace, label_selector="a in b")
    assert err.value.status == 400


def test_field_selectors(core, kube_api, kube_namespace) -> None:
    """Real: metadata.name/namespace everywhere, status.phase for pods; others are 400
    `field label not supported`."""
    for name in ("a", "b"):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": name}})
    assert _names(
        core.list_namespaced_config_map(kube_namespace, field_selector="metadata.name=b").items
    ) == ["b"]
    assert _names(
        core.list_namespaced_config_map(kube_namespace, field_selector="metadata.name!=b").items
    ) == ["a"]
    assert _names(
        core.list_config_map_for_all_namespaces(
            field_selector=f"metadata.namespace={kube_namespace}"
        ).items
    ) == ["a", "b"]
    assert (
        core.list_namespaced_pod(kube_namespace, field_selector="status.phase=Running").items == []
    )
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_config_map(kube_namespace, field_selector="status.phase=Running")
    assert err.value.status == 400
    assert "field label not supported: status.phase" in body_of(err.value)["message"]
    with pytest.raises(client.ApiException) as err:
        client.BatchV1Api(kube_api).list_namespaced_job(kube_namespace, field_selector="spec.x=1")
    assert err.value.status == 400


def test_all_namespaces_list(core, kube_namespace) -> None:
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "x"}})
    items = core.list_config_map_for_all_namespaces().items
    assert any(i.metadata.namespace == kube_namespace and i.metadata.name == "x" for i in items)


def test_limit_and_continue(core, kube_namespace) -> None:
    """Real: pages share the first page's RV; remainingItemCount without selectors."""
    for i in range(5):
        core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": f"c{i}"}})
    first = core.list_namespaced_config_map(kube_namespace, limit=2)
    assert _names(first.items) == ["c0", "c1"]
    assert first.metadata.remaining_item_count == 3 and first.metadata._continue
    second = core.list_namespaced_config_map(
        kube_namespace, limit=2, _continue=first.metadata._continue
    )
    assert _names(second.items) == ["c2", "c3"]
    assert second.metadata.resource_version == first.metadata.resource_version
    third = core.list_namespaced_config_map(
        kube_namespace, limit=2, _continue=second.metadata._continue
    )
    assert _names(third.items) == ["c4"] and not third.metadata._continue


def test_thousand_objects_list_fast(kubesim, core, kube_namespace) -> None:
    """At least 1,000 objects of a kind: created and listed (with a selector) quickly."""
    import time

    rt = kubesim.api.resource("", "v1", "configmaps")
    for i in range(1000):
        kubesim.api.create(
            rt, kube_namespace, {"metadata": {"name": f"c{i:04d}", "labels": {"odd": str(i % 2)}}}
        )
    start = time.monotonic()
    assert len(core.list_namespaced_config_map(kube_namespace).items) == 1000
    assert len(core.list_namespaced_config_map(kube_namespace, label_selector="odd=1").items) == 500
    assert time.monotonic() - start < 3.0
