"""The secret-use corpus through the whole chain: no Secret value, derived value or
encoding of one reaches the PolicyReport, the assertion's status, Events or either
service's log (operator -> probe Pod -> results service, every service a real process).

The probe's own output is covered rule by rule in the probe's corpus test
(``packages/netchecks-probe/tests/test_secret_corpus.py``); this one proves that nothing
downstream re-introduces what the probe redacted. It runs the corpus rules that a
NetworkAssertion can express with a mounted Secret context ``s``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.results.harness import Cluster
from tools.harness import ServiceProcess, wait_for
from tools.secret_corpus import MOUNTED_SECRETS, SECRET_FILES, load_corpus
from tools.targets.http import HttpServer
from tools.targets.tcp import BannerServer, ClosedPort


def _rules(http: HttpServer, banner: int, closed: int) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = load_corpus(http, banner, closed)["assertions"][0]["rules"]
    # A manifest's inline contexts are not secret, and rule names are literal.
    return [r for r in rules if "inl." not in json.dumps(r) and "{{" not in str(r.get("name"))]


def _leaks(text: str) -> list[str]:
    forms = set(MOUNTED_SECRETS) | {json.dumps(s)[1:-1] for s in MOUNTED_SECRETS}
    forms |= {base64.b64encode(s.encode()).decode() for s in MOUNTED_SECRETS}
    return sorted(form for form in forms if form in text)


@pytest.mark.timeout(120)
def test_no_secret_reaches_report_status_events_or_service_logs(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess, http_server: HttpServer
) -> None:
    cluster.create_secret("creds", SECRET_FILES)
    with BannerServer() as banner, ClosedPort() as closed:
        rules = _rules(http_server, banner.port, closed.port)
        cluster.create_assertion(
            "secrets", {"rules": rules, "context": [{"name": "s", "secret": {"name": "creds"}}]}
        )
        report = cluster.wait_report(
            "secrets", lambda r: len(r.get("results") or []) == len(rules), 90
        )
        wait_for(lambda: cluster.assertion_status("secrets").get("summary"), 30, "status")

    assert len(rules) >= 14, "the corpus really exercised the chain"
    reflected = next(r for r in report["results"] if r["rule"] == "body-reflected")
    assert "REDACTED" in reflected["properties"]["data"], "the secret really reached a server"
    places = {
        "report": json.dumps(report, ensure_ascii=False),
        "status": json.dumps(cluster.assertion_status("secrets"), ensure_ascii=False),
        "events": json.dumps(
            [e.to_dict() for e in cluster.events("secrets")], default=str, ensure_ascii=False
        ),
        "operator log": operator.logs(),
        "results log": results.logs(),
    }
    for where, text in places.items():
        assert _leaks(text) == [], f"secret in the {where}"
