"""Unit tests of what informers keep (transforms), report (predicates) and index."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from netchecks_service.cachefilters import (
    LAST_APPLIED,
    FrozenDict,
    _SharedDicts,
    changed,
    changed_except_status,
    drop_managed_fields,
    keep,
    shared,
    trimmed_metadata,
)
from netchecks_service.cacheindex import CacheIndex, label_index, owner_index


def job(name: str = "j", version: str = "1", **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "resourceVersion": version,
            "labels": {"netchecks.io/assertion-uid": "a1"},
            "annotations": {"netchecks.io/assertion": "web", LAST_APPLIED: "{...}"},
            "ownerReferences": [{"kind": "CronJob", "name": "web", "uid": "cj1"}],
            "managedFields": [{"manager": "kube-controller-manager"}],
            "finalizers": ["batch.kubernetes.io/job-tracking"],
        },
        "spec": {"template": {"spec": {"containers": [{"name": "probe"}]}}},
        "status": {"active": 1, "ready": 0, "conditions": []},
    }
    obj.update(extra)
    return obj


def test_trimmed_metadata_keeps_identity_and_ownership_but_not_managed_fields() -> None:
    meta = trimmed_metadata(job())
    assert set(meta) == {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "labels",
        "annotations",
        "ownerReferences",
    }
    assert LAST_APPLIED not in meta["annotations"]
    assert meta["annotations"]["netchecks.io/assertion"] == "web"


def test_keep_drops_unread_fields_and_never_changes_its_argument() -> None:
    original = job()
    untouched = copy.deepcopy(original)
    kept = keep(status=("ready", "conditions"))(original)
    assert original == untouched
    assert set(kept) == {"apiVersion", "kind", "metadata", "status"}
    assert kept["status"] == {"ready": 0, "conditions": []}
    assert "spec" not in keep()(original) and "status" not in keep()(original)


def test_drop_managed_fields_copies_rather_than_edits() -> None:
    original = job()
    slim = drop_managed_fields(original)
    assert "managedFields" not in slim["metadata"]
    assert "managedFields" in original["metadata"]
    assert slim["spec"] is original["spec"]


def test_an_update_that_only_moves_the_resource_version_is_no_change() -> None:
    assert not changed(job(version="1"), job(version="2"))
    assert changed(job(version="1"), job(version="2", status={"active": 0}))


def test_status_changes_do_not_count_for_changed_except_status() -> None:
    cached, incoming = job(version="1"), job(version="2", status={"succeeded": 1})
    assert not changed_except_status(cached, incoming)
    relabelled = job(version="3")
    relabelled["metadata"]["labels"] = {"other": "x"}
    assert changed_except_status(cached, relabelled)


def test_an_index_files_objects_under_their_values_and_follows_changes() -> None:
    index = CacheIndex(
        {"assertion": label_index("netchecks.io/assertion-uid"), "owner": owner_index}
    )
    first, second = job("j1"), job("j2")
    index.update(("ns", "j1"), None, first)
    index.update(("ns", "j2"), None, second)
    assert sorted(index.keys("assertion", "a1")) == [("ns", "j1"), ("ns", "j2")]
    assert sorted(index.keys("owner", "cj1")) == [("ns", "j1"), ("ns", "j2")]
    moved = copy.deepcopy(second)
    moved["metadata"]["labels"] = {"netchecks.io/assertion-uid": "a2"}
    index.update(("ns", "j2"), second, moved)
    assert index.keys("assertion", "a1") == [("ns", "j1")]
    assert index.keys("assertion", "a2") == [("ns", "j2")]
    index.update(("ns", "j1"), first, None)
    assert index.keys("assertion", "a1") == []


def test_rebuilding_an_index_forgets_what_is_no_longer_listed() -> None:
    index = CacheIndex({"assertion": label_index("netchecks.io/assertion-uid")})
    index.update(("ns", "gone"), None, job("gone"))
    index.rebuild({("ns", "j1"): job("j1")})
    assert index.keys("assertion", "a1") == [("ns", "j1")]


def test_objects_without_the_label_are_not_indexed() -> None:
    index = CacheIndex({"assertion": label_index("netchecks.io/assertion-uid")})
    bare = job()
    bare["metadata"]["labels"] = {}
    index.update(("ns", "j"), None, bare)
    assert index.keys("assertion", "a1") == []


def test_kept_objects_share_their_keys_and_short_strings() -> None:
    """Two decoded documents hold their own copies of the same text; kept, they share it."""
    decoded_a, decoded_b = json.loads(json.dumps(job("a"))), json.loads(json.dumps(job("b")))
    label_a, label_b = (next(iter(d["metadata"]["labels"])) for d in (decoded_a, decoded_b))
    assert label_a == label_b and label_a is not label_b
    first, second = keep()(decoded_a), keep()(decoded_b)
    label_a, label_b = (next(iter(d["metadata"]["labels"])) for d in (first, second))
    assert label_a is label_b
    assert first["metadata"]["namespace"] is second["metadata"]["namespace"]


def test_a_resource_version_is_kept_as_decoded_not_shared() -> None:
    """Nothing else repeats an object's resourceVersion: interning it would only grow the
    interpreter's table of interned strings. The label values it shares still are."""
    first, second = (keep()(json.loads(json.dumps(job("a", "48213")))) for _ in range(2))
    assert first == second
    assert first["metadata"]["resourceVersion"] == "48213"
    assert first["metadata"]["resourceVersion"] is not second["metadata"]["resourceVersion"]
    assert first["metadata"]["uid"] is second["metadata"]["uid"]
    labels = (next(iter(kept["metadata"]["labels"].values())) for kept in (first, second))
    assert next(labels) is next(labels)


def test_equal_shared_labels_are_one_read_only_dict() -> None:
    share = keep(share=("labels", "annotations"))
    first, second = (share(json.loads(json.dumps(job(n)))) for n in ("a", "b"))
    labels = first["metadata"]["labels"]
    assert labels == {"netchecks.io/assertion-uid": "a1"} and isinstance(labels, dict)
    assert labels is second["metadata"]["labels"]
    assert first["metadata"]["annotations"] is second["metadata"]["annotations"]
    assert keep()(job("a"))["metadata"]["labels"] is not labels  # only where asked
    changes: list[Callable[[dict[str, Any]], object]] = [
        lambda d: d.__setitem__("k", "v"),
        lambda d: d.__delitem__("netchecks.io/assertion-uid"),
        lambda d: d.update(k="v"),
        lambda d: d.setdefault("k", "v"),
        lambda d: d.pop("netchecks.io/assertion-uid"),
        lambda d: d.popitem(),
        lambda d: d.clear(),
        lambda d: d.__ior__({"k": "v"}),
    ]
    for change in changes:
        with pytest.raises(TypeError):
            change(labels)
    assert labels == {"netchecks.io/assertion-uid": "a1"}
    for copied in (copy.copy(labels), copy.deepcopy(labels), pickle.loads(pickle.dumps(labels))):
        assert type(copied) is dict and copied == labels
        copied["k"] = "v"  # a copy is free to change
    assert json.loads(json.dumps(first)) == first


def test_shared_dicts_no_longer_used_are_dropped() -> None:
    table = _SharedDicts(sweep_at=4)
    kept = table.get({"uid": "kept"})
    assert table.get({"uid": "kept"}) is kept
    for n in range(3):
        table.get({"uid": str(n)})  # used by nothing once returned
    # The fourth made the table sweep: only the one in use and the one being added stay.
    assert len(table) == 2
    table.sweep()
    assert len(table) == 1
    assert table.get({"uid": "kept"}) is kept
    assert isinstance(table.get({"a": "b"}), FrozenDict)
    del kept
    table.sweep()
    assert len(table) == 0
    odd, empty, true = {"a": ["not a string"]}, dict[str, Any](), {"a": True}
    assert shared(odd) is odd and shared(empty) is empty  # kept as they are
    one = shared({"a": 1})
    assert shared(true) is true and shared({"a": 1}) is one  # True == 1, yet not the same
