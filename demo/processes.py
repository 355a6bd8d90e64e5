"""The demo's child processes: started in their own sessions, stopped in reverse order."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class DemoError(Exception):
    """Something the user can fix; the message says what to do."""


@dataclass
class Child:
    """One started process and its log."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def exited(self) -> DemoError:
        """The error to raise when this process died early."""
        return DemoError(
            f"{self.name} exited with code {self.process.returncode}; its log ({self.log}) ends:\n"
            f"{self.log_tail()}"
        )


class Supervisor:
    """Starts processes and makes sure every one of them is stopped again."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []

    def start(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path | None = None
    ) -> Child:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            # Own session: Ctrl-C reaches only the demo, which stops children in order.
            process = subprocess.Popen(  # noqa: S603 -- our own commands
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def check(self) -> None:
        """Raise if a child died."""
        for child in self.children:
            if not child.alive():
                raise child.exited()

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM every child (newest first), then SIGKILL what is left."""
        for child in reversed(self.children):
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait(5)
        self.children.clear()
