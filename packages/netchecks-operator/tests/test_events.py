"""The operator's Event de-duplication (pure, with a fake clock)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from netchecks_operator.events import EventRecorder
from netchecks_operator.plan_model import EventNote


def assertion(uid: str) -> dict[str, Any]:
    return {"metadata": {"name": f"web-{uid}", "namespace": "ns", "uid": uid}}


def test_an_event_is_recorded_once_per_window_and_forgotten_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    sent: list[dict[str, Any]] = []
    recorder = EventRecorder(lambda body, namespace: sent.append(body), "op-1", window=60.0)
    note = EventNote("Normal", "Reconciled", "created ConfigMap web-config")
    assert recorder.record(assertion("a"), note)
    assert not recorder.record(assertion("a"), note), "the same Event within the window"
    now[0] += 61
    assert recorder.record(assertion("b"), note)
    assert len(recorder._seen) == 1, "the entry past the window is dropped"
    assert recorder.record(assertion("a"), note), "and recorded again"
    assert len(sent) == 3
