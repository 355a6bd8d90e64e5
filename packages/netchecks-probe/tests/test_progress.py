"""The live progress line: on a terminal's stderr for runs over a second, never elsewhere.

The terminal is a real pseudo-terminal (``os.openpty``); the slow rule waits on a
real HTTP server on loopback.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tools.targets.http import HttpServer

NETCHECKS = Path(sys.executable).parent / "netchecks"
PROGRESS = re.compile(r"\rnetchecks: (\d+)/3 rules done, (\d+) failed, (\d+) error\(s\), \d+s")


def _config(http_server: HttpServer) -> dict[str, Any]:
    return {
        "assertions": [
            {
                "name": "api",
                "rules": [
                    {"name": "quick", "type": "http", "url": http_server.url("/json")},
                    {"name": "slow", "type": "http", "url": http_server.url("/slow?delay=2.5")},
                    {"name": "broken", "type": "internal", "validation": "false"},
                ],
            }
        ]
    }


def _read_all(fd: int, process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """Everything written to the terminal until the process ends (and the pty drains)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side is closed
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks)


def _run_on_terminal(args: list[str], stdout_too: bool) -> tuple[str, str, int]:
    """Run with stderr (and stdout when ``stdout_too``) on a pty: (terminal, stdout, code)."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [str(NETCHECKS), *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal if stdout_too else subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    try:
        seen = _read_all(controller, process, timeout=60)
        stdout = process.communicate(timeout=30)[0] or b""
        code = process.returncode
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    return seen.decode(), stdout.decode(), code


def test_a_terminal_sees_the_progress_line_and_the_results_stay_intact(
    write_json: Any, http_server: HttpServer
) -> None:
    config = write_json(_config(http_server))
    terminal, stdout, code = _run_on_terminal(["run", "-c", str(config)], stdout_too=False)
    assert code == 1
    lines = PROGRESS.findall(terminal)
    assert lines, terminal
    # Drawn while the slow rule waits: the quick and the broken rule are done.
    assert ("2", "1", "0") in lines
    assert terminal.endswith("\r"), "the line is wiped before the results"
    statuses = [r["status"] for r in json.loads(stdout)["assertions"][0]["results"]]
    assert statuses == ["pass", "pass", "fail"]


def test_a_table_on_the_same_terminal_follows_the_wiped_line(
    write_json: Any, http_server: HttpServer
) -> None:
    config = write_json(_config(http_server))
    terminal, _, code = _run_on_terminal(["run", "-c", str(config), "-o", "table"], stdout_too=True)
    assert code == 1
    assert PROGRESS.search(terminal)
    text = terminal.replace("\r\n", "\n")  # the terminal turns each \n into \r\n
    after_progress = text.rsplit("\r", 1)[1]
    assert after_progress.startswith("ASSERTION ")
    assert after_progress.endswith("\n2 pass, 1 fail, 0 error\n")
    assert "netchecks:" not in after_progress


def test_no_progress_when_stderr_is_not_a_terminal(
    cli: Any, write_json: Any, http_server: HttpServer
) -> None:
    done = cli("run", "-c", str(write_json(_config(http_server))))
    assert done.returncode == 1
    assert done.stderr == ""
    assert json.loads(done.stdout)["assertions"][0]["results"][1]["status"] == "pass"
