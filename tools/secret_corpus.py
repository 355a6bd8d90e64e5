"""The secret-use corpus shared by the probe's test and the whole-chain test.

``packages/netchecks-probe/tests/hostile/secret_uses.yaml`` holds rules that use a
Secret context ``s`` (and an inline one, ``inl``) in every way a rule can; the values
here are what that Secret holds, so that a test can look for any of them in output.
"""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path
from typing import Any

import yaml

from tools.targets.http import HttpServer

CORPUS = (
    Path(__file__).resolve().parents[1]
    / "packages"
    / "netchecks-probe"
    / "tests"
    / "hostile"
    / "secret_uses.yaml"
)
TOKEN = "Zq9tok y/z@w!x"
PASSWORD = "Pw-J8k2:q=r&s!"
ENCODED_SECRET = "b64-Sec9ret-Val"
YAML_PASSWORD = "yaml-Sécret-77"
#: The inline context's secret value (a NetworkAssertion cannot mark inline data secret).
INLINE_KEY = "9137004415"
#: The values the mounted Secret context ``s`` holds.
MOUNTED_SECRETS = (TOKEN, PASSWORD, ENCODED_SECRET, YAML_PASSWORD)
#: The files of the Secret context ``s`` (file name -> content).
SECRET_FILES = {
    "token": TOKEN,
    "creds.json": json.dumps({"user": "svc-user", "password": PASSWORD}),
    "encoded": base64.b64encode(ENCODED_SECRET.encode()).decode(),
    "config": f"password: {YAML_PASSWORD}\nport: 5432\n",
}


def load_corpus(http: HttpServer, banner: int, closed: int) -> dict[str, Any]:
    """The corpus as a probe config, aimed at ``http``, a banner port and a closed port."""
    base = http.url("/").rstrip("/")
    # Where the reflected token starts in /echo's body: cut there, plus 6 characters.
    before = '{"method": "GET", "path": "/echo", "query": {"t": "'
    text = string.Template(CORPUS.read_text()).substitute(
        HTTP=base,
        HTTP_HOSTPORT=base.removeprefix("http://"),
        CLOSED=closed,
        BANNER=banner,
        CUT=len(before) + 6,
    )
    config: dict[str, Any] = yaml.safe_load(text)
    return config
