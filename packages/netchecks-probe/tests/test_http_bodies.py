"""HTTP bodies are streamed and capped: memory stays near the cap, whatever is sent."""

from __future__ import annotations

import tracemalloc

from netchecks_core.runnable import RunnableHttp, parse_runnable
from netchecks_probe.checks import http as http_check
from netchecks_probe.checks.base import Deadline

from tools.targets.http import HttpServer

MIB = 1024 * 1024


def _fetch(url: str, **fields: object) -> tuple[dict[str, object], int]:
    rule = parse_runnable({"type": "http", "url": url, "timeout": 30, **fields})
    assert isinstance(rule, RunnableHttp)
    tracemalloc.start()
    try:
        data = http_check.run(rule, Deadline.after(60))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return data, peak


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap(http_server: HttpServer) -> None:
    data, peak = _fetch(http_server.url("/gzip-bomb?mib=256"), **{"max-body-bytes": MIB})

    assert data["status-code"] == 200
    assert data["body-truncated"] is True
    assert len(str(data["body"])) == MIB
    # The cap, its text and a few chunks: nowhere near the 256 MiB it inflates to.
    assert peak < 16 * MIB


def test_a_big_plain_body_is_read_only_up_to_the_cap(http_server: HttpServer) -> None:
    data, _ = _fetch(http_server.url(f"/bytes/{8 * MIB}"), **{"max-body-bytes": 1000})

    assert data["body"] == "x" * 1000
    assert data["body-truncated"] is True
