"""Running the real ``kubectl`` against kubesim: one command, a watch, columnar output."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.kubectl import kubectl_binary as find_kubectl

#: Header cells are separated by at least two spaces ("NOMINATED NODE" is one header).
_HEADER = re.compile(r"\S+(?: \S+)*")


def kubectl_binary() -> str:
    """The kubectl to run; fails the test when there is none."""
    found = find_kubectl()
    assert found, "kubectl is not installed: run `python3 dev.py setup`"
    return found


@dataclass(frozen=True)
class Kubectl:
    """``kubectl`` bound to one kubeconfig, a private discovery cache and a namespace."""

    kubeconfig: Path
    cache_dir: Path
    namespace: str | None = None

    def in_namespace(self, namespace: str) -> Kubectl:
        return Kubectl(self.kubeconfig, self.cache_dir, namespace)

    def command(self, *args: str) -> list[str]:
        namespace = ["--namespace", self.namespace] if self.namespace else []
        return [
            kubectl_binary(),
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.cache_dir}",
            *namespace,
            *args,
        ]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECTL_")}
        return {**env, "NO_PROXY": "127.0.0.1,localhost", "KUBECONFIG": str(self.kubeconfig)}

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run one command; with ``check`` a non-zero exit fails the test with its output."""
        result = subprocess.run(
            self.command(*args),
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        if check:
            assert result.returncode == 0, (
                f"kubectl {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def out(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout

    def table(self, *args: str) -> list[dict[str, str]]:
        """``kubectl get`` output as one {HEADER: cell} per row."""
        return parse_table(self.out(*args))

    @contextlib.contextmanager
    def watch(self, *args: str) -> Iterator[LineReader]:
        """Run a command that streams (``get -w``) and read its lines as they come."""
        proc = subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env(),
        )
        reader = LineReader(proc)
        try:
            yield reader
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            reader.join()
            assert proc.stdout is not None
            proc.stdout.close()


class LineReader:
    """Lines of a running process's output, read on a thread so waits can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        self._thread.start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def join(self) -> None:
        self._thread.join(timeout=5)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30) -> str:
        """The first new line for which ``predicate`` holds; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no matching line within {timeout}s; saw:\n" + "\n".join(self.seen))


def parse_table(text: str) -> list[dict[str, str]]:
    """Split kubectl's aligned columns at the header cells' offsets."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [(m.start(), m.group()) for m in _HEADER.finditer(header)]
    rows = []
    for line in lines[1:]:
        row = {}
        for i, (start, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else None
            row[name] = line[start:end].strip()
        rows.append(row)
    return rows


def header(text: str) -> list[str]:
    """The column names of kubectl's first output line."""
    first = text.splitlines()[0] if text.strip() else ""
    return [m.group() for m in _HEADER.finditer(first)]
