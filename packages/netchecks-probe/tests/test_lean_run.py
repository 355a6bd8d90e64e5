"""A plainly valid run never imports pydantic (about 190 ms of CPU per probe Pod).

The models still decide everything the lean checks are not sure of; those answers are
tested where the messages are (test_runner, test_malformed, netchecks-core's tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.targets.tcp import ClosedPort

_REPORT_PYDANTIC = (
    "import sys\n"
    "from netchecks_probe.cli import _main\n"
    "code = _main(sys.argv[1:])\n"
    "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core'))\n"
    "print(json.dumps({'code': code, 'pydantic': loaded}), file=sys.stderr)\n"
)


def _run(config: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + _REPORT_PYDANTIC, "run", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout), report


def test_a_valid_config_runs_without_pydantic(tmp_path: Path) -> None:
    with ClosedPort() as closed:
        port = closed.port
        config = {
            "contexts": [{"name": "target", "type": "inline", "data": {"port": port}}],
            "assertions": [
                {
                    "name": "lean",
                    "rules": [
                        {"name": "tcp", "type": "tcp", "host": "127.0.0.1", "port": port,
                         "expected": "fail"},
                        {"name": "http", "type": "http", "url": f"http://127.0.0.1:{port}/",
                         "timeout": 2, "validate": {"pattern": "data.reason != null"}},
                        {"name": "internal", "type": "internal",
                         "validation": "target.port > 0"},
                    ],
                }
            ],
        }  # fmt: skip
        output, report = _run(config, tmp_path)

    results = output["assertions"][0]["results"]
    assert [r["status"] for r in results] == ["pass", "pass", "pass"]
    assert report == {"code": 0, "pydantic": []}


def test_an_invalid_rule_is_still_judged_by_the_models(tmp_path: Path) -> None:
    config = {"assertions": [{"name": "a", "rules": [{"type": "tcp", "host": "h", "port": 0}]}]}

    output, report = _run(config, tmp_path)

    result = output["assertions"][0]["results"][0]
    assert result["status"] == "error"
    assert "port: Input should be greater than or equal to 1" in result["message"]
    assert report["code"] == 2  # the input is wrong
    assert "pydantic" in report["pydantic"]
