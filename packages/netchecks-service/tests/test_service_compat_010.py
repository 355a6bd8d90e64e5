"""Health endpoints 0.10's manifests probe keep answering (issue 14)."""

from __future__ import annotations

import httpx
from netchecks_service.health import Health, HttpServer, create_app


def test_healthz_answers_like_livez() -> None:
    health = Health()
    state = {"alive": True}
    health.add_live("loop", lambda: state["alive"])
    server = HttpServer(create_app(health), "127.0.0.1:0").start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as http:
            assert http.get("/healthz").status_code == 200
            state["alive"] = False
            failing = http.get("/healthz")
            assert failing.status_code == 503 and failing.json()["failing"] == ["loop"]
            assert http.get("/livez").status_code == 503
    finally:
        server.stop()
