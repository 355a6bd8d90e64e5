"""No Secret value, derived value or encoding of one leaks into the probe's output or logs.

The corpus (``hostile/secret_uses.yaml``) runs through the real CLI against real local
servers that reflect what they receive (headers, query, body, Basic auth).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from netchecks_probe.redact import MIN_CUT_PREFIX_LENGTH

from tools.probe_testing import output_of
from tools.secret_corpus import INLINE_KEY, MOUNTED_SECRETS, SECRET_FILES, load_corpus
from tools.targets.http import HttpServer
from tools.targets.tcp import BannerServer, ClosedPort

SECRETS = (*MOUNTED_SECRETS, INLINE_KEY)


def _encodings(secret: str) -> set[str]:
    forms = {secret, json.dumps(secret)[1:-1], quote_plus(secret), quote(secret, safe="")}
    forms.add(quote(secret, safe="!#$%&'()*+,/:;=?@[]~"))
    for text in (secret, f"svc-user:{secret}", f"prefix:{secret}:suffix"):
        forms.add(base64.b64encode(text.encode()).decode())
    return forms


def _config(tmp_path: Path, http: HttpServer, banner: int, closed: int, mount: object) -> Path:
    secret_dir = mount(tmp_path / "secret", SECRET_FILES)  # type: ignore[operator]
    config = load_corpus(http, banner, closed)
    config["contexts"] = [
        {"name": "s", "type": "directory", "path": str(secret_dir), "secret": True},
        {"name": "inl", "type": "inline", "data": {"apikey": INLINE_KEY}, "secret": True},
    ]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.timeout(60)
def test_no_secret_or_encoding_of_one_in_output_or_logs(
    cli, tmp_path: Path, http_server: HttpServer, mounted_configmap
) -> None:
    with BannerServer() as banner, ClosedPort() as closed:
        config = _config(tmp_path, http_server, banner.port, closed.port, mounted_configmap)
        done = cli("run", "-v", "--config", str(config), "--exit-zero", timeout=50)

    # Two rules are refused by the validator (a templated name, a templated unknown key):
    # bad input, exit 2; their refusals must not leak either.
    assert done.returncode == 2, done.stderr
    document = output_of(done)
    results = {r.get("name"): r for a in document["assertions"] for r in a["results"]}
    # The rules really ran and really reflected their inputs (else the test proves nothing).
    assert results["bearer-header-reflected"]["data"]["status-code"] == 200
    assert results["cut-by-max-body-bytes"]["data"]["body-truncated"] is True
    assert results["cut-by-max-body-bytes"]["data"]["body"].endswith("REDACTED")
    assert "REDACTED" in results["body-reflected"]["data"]["body"]
    assert "REDACTED" in results["tcp-send-echoed"]["data"]["banner"]
    assert len(results) == 20
    # The templated rule name is refused, and its result carries no name at all.
    assert results[None]["status"] == "error"
    assert results["templated-unknown-key"]["status"] == "error"
    assert "REDACTED" in results["cel-missing-key-names-the-secret"]["message"]
    for where, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        for secret in SECRETS:
            for form in _encodings(secret):
                assert form not in text, f"{form!r} (from {secret!r}) in {where}"
            for size in range(MIN_CUT_PREFIX_LENGTH, len(secret)):
                assert secret[:size] not in text, f"prefix {secret[:size]!r} in {where}"
