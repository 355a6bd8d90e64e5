"""An InformerGroup reads and writes through one cache per watched namespace (no API
request: only the write-through side is exercised here)."""

from __future__ import annotations

import threading
from typing import Any

from netchecks_service.informer import InformerGroup
from netchecks_service.kube import CONFIGMAPS


def _cm(namespace: str, name: str, version: str) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace, "name": name, "resourceVersion": version}}


def _group(namespaces: list[str | None]) -> InformerGroup:
    return InformerGroup(None, CONFIGMAPS, namespaces, stop=threading.Event())  # type: ignore[arg-type]


def test_a_write_is_read_back_from_the_namespace_that_holds_it_and_nowhere_else() -> None:
    group = _group(["a", "b"])
    group.remember(_cm("b", "x", "5"))
    assert group.get("b", "x") == _cm("b", "x", "5")
    assert group.get("a", "x") is None
    assert group.get("c", "x") is None  # not watched: nothing cached, nothing raised
    assert group.items("a") == [] and group.items() == [_cm("b", "x", "5")]
    group.remember(_cm("c", "y", "1"))  # outside the watched namespaces: ignored
    assert len(group.items()) == 1


def test_an_older_write_never_replaces_a_newer_cached_version_and_forget_drops_it() -> None:
    group = _group([None])
    group.remember(_cm("a", "x", "7"))
    group.remember(_cm("a", "x", "6"))
    assert group.get("a", "x") == _cm("a", "x", "7")
    group.forget("a", "x")
    assert group.get("a", "x") is None
    assert not group.synced()  # nothing listed yet
