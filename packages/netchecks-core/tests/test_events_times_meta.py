"""Core's small shared helpers: Event bodies, API times, metadata accessors."""

from __future__ import annotations

import datetime as dt

from netchecks_core.events import MAX_MESSAGE, event_body
from netchecks_core.meta import annotations_of, labels_of, metadata_of
from netchecks_core.times import now_rfc3339, parse_rfc3339, rfc3339

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "7"},
}


def _event(**kwargs: object) -> dict[str, object]:
    return event_body(
        POD,
        event_type="Warning",
        reason="Why",
        message=str(kwargs.pop("message", "m")),
        component="c",
        instance="i",
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_event_names_the_object_it_is_about_and_who_recorded_it() -> None:
    body = _event(now=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert body["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "p",
        "namespace": "ns",
        "uid": "u",
        "resourceVersion": "7",
    }
    assert body["metadata"]["namespace"] == "ns"  # type: ignore[index]
    assert (body["type"], body["reason"], body["reportingInstance"]) == ("Warning", "Why", "i")
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2026-01-02T03:04:05Z"


def test_event_messages_are_clipped_and_two_events_in_a_row_get_distinct_names() -> None:
    first, second = _event(message="x" * 5000), _event()
    assert len(str(first["message"])) == MAX_MESSAGE
    assert first["metadata"]["name"] != second["metadata"]["name"]  # type: ignore[index]
    assert parse_rfc3339(first["firstTimestamp"]) is not None


def test_api_times_are_written_in_utc_with_z_and_read_back() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert rfc3339(moment) == "2026-01-02T01:04:05Z"
    assert rfc3339(moment, micros=True) == "2026-01-02T01:04:05.600000Z"
    assert parse_rfc3339("2026-01-02T01:04:05Z") == moment.replace(microsecond=0)
    assert parse_rfc3339(now_rfc3339()) is not None
    assert [parse_rfc3339(v) for v in ("", "not a time", None, 5)] == [None] * 4


def test_metadata_accessors_read_absent_or_null_parts_as_empty() -> None:
    for obj in (None, {}, {"metadata": None}, {"metadata": {"labels": None}}):
        assert labels_of(obj) == {} and annotations_of(obj) == {}
    assert metadata_of({"metadata": {"name": "a"}}) == {"name": "a"}
    assert annotations_of({"metadata": {"annotations": {"k": "v"}}}) == {"k": "v"}
