"""Container memory limits: ``resources.limits.memory`` enforced on container processes.

A real kubelet puts each container in a cgroup whose memory limit is the container's;
the kernel's OOM killer SIGKILLs it when it goes over, and the status says ``OOMKilled``
with exit code 137. kubesim does the same with the best mechanism the host allows
(``Settings.memory_enforcement``):

- ``"cgroup"``: a child of kubesim's own memory cgroup per container run (cgroup v1
  ``memory.limit_in_bytes``, or v2 ``memory.max``). The kernel enforces the limit; an
  ``oom_kill`` count above zero afterwards means the container was OOM-killed.
- ``"rss"``: a watcher sums the resident set of the container's processes (its session)
  from ``/proc`` every ``RSS_POLL_SECONDS`` and SIGKILLs them when over. A process that
  allocates faster than the poll interval can overshoot for that long.
- ``"auto"`` (the default) uses ``"cgroup"`` when a cgroup can be created, else ``"rss"``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import uuid
from pathlib import Path
from typing import Protocol

log = logging.getLogger("kubesim.oom")

RSS_POLL_SECONDS = 0.02
_PAGE = os.sysconf("SC_PAGE_SIZE")
_SUFFIXES = {
    "": 1,
    "k": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}
_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")


def parse_bytes(quantity: object) -> int | None:
    """A memory quantity (``256Mi``, ``1G``, ``128974848``, ``1e9``) in bytes."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match or match.group(2) not in _SUFFIXES:
        return None
    return int(float(match.group(1)) * _SUFFIXES[match.group(2)])


class Confinement(Protocol):
    """One container run under a memory limit."""

    def wrap(self, command: list[str]) -> list[str]:
        """The command line that starts the container inside the limit."""

    def started(self, pid: int) -> None:
        """The container's process (a session leader) is running."""

    def finish(self) -> bool:
        """The process has exited: release the limit; True if it was OOM-killed."""


class _Unlimited:
    def wrap(self, command: list[str]) -> list[str]:
        return command

    def started(self, pid: int) -> None:
        pass

    def finish(self) -> bool:
        return False


class CgroupConfinement:
    """A fresh memory cgroup; the container moves itself in before it execs."""

    def __init__(self, path: Path, version: int, limit: int) -> None:
        self.path = path
        self.version = version
        path.mkdir()
        limit_file = "memory.max" if version == 2 else "memory.limit_in_bytes"
        (path / limit_file).write_text(str(limit))
        if version == 1:
            with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
                (path / "memory.memsw.limit_in_bytes").write_text(str(limit))

    def wrap(self, command: list[str]) -> list[str]:
        script = 'echo $$ > "$0" && exec "$@"'
        return ["/bin/sh", "-c", script, str(self.path / "cgroup.procs"), *command]

    def started(self, pid: int) -> None:
        pass

    def finish(self) -> bool:
        events = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (self.path / events).read_text()
        except OSError:
            text = ""
        match = re.search(r"^oom_kill (\d+)$", text, re.MULTILINE)
        with contextlib.suppress(OSError):
            self.path.rmdir()
        return bool(match and int(match.group(1)) > 0)


class RssConfinement:
    """Polls the resident memory of the container's session; SIGKILLs it when over."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.killed = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def wrap(self, command: list[str]) -> list[str]:
        return command

    def started(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._watch, args=(pid,), daemon=True)
        self._thread.start()

    def finish(self) -> bool:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.killed

    def _watch(self, session: int) -> None:
        while not self._done.wait(RSS_POLL_SECONDS):
            if session_rss(session) > self.limit:
                self.killed = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(session, signal.SIGKILL)
                return


def session_rss(session: int) -> int:
    """Resident bytes of every process in a session (from ``/proc/<pid>/stat``)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:  # after "pid (comm)": state, ppid, pgrp, session
            total += int(fields[21]) * _PAGE  # rss in pages
    return total


class MemoryLimits:
    """Chooses how memory limits are enforced and hands out one confinement per run."""

    def __init__(self, setting: str, work_name: str) -> None:
        if setting not in ("auto", "cgroup", "rss"):
            raise ValueError(f"memory_enforcement must be auto, cgroup or rss, not {setting!r}")
        self.root, self.version = _own_memory_cgroup()
        self.mode = setting
        if setting != "rss" and not self._cgroup_usable(work_name):
            if setting == "cgroup":
                raise ValueError("memory_enforcement='cgroup': no memory cgroup can be made here")
            self.mode = "rss"
        elif setting == "auto":
            self.mode = "cgroup"
        self._prefix = f"kubesim-{work_name}"
        log.info("kubesim: container memory limits enforced by %s", self.describe())

    def describe(self) -> str:
        """``cgroup-v1``, ``cgroup-v2`` or ``rss``: what enforces the limits here."""
        return f"cgroup-v{self.version}" if self.mode == "cgroup" else self.mode

    def confine(self, limit: int | None) -> Confinement:
        if limit is None:
            return _Unlimited()
        if self.mode == "cgroup" and self.root is not None:
            name = f"{self._prefix}-{uuid.uuid4().hex[:12]}"
            return CgroupConfinement(self.root / name, self.version, limit)
        return RssConfinement(limit)

    def _cgroup_usable(self, work_name: str) -> bool:
        if self.root is None:
            return False
        probe = self.root / f"kubesim-probe-{work_name}"
        try:
            CgroupConfinement(probe, self.version, 1 << 30)
            return True
        except OSError:
            return False
        finally:
            with contextlib.suppress(OSError):
                probe.rmdir()


def _own_memory_cgroup() -> tuple[Path | None, int]:
    """This process's memory cgroup directory and the cgroup version (None if unknown)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, 0
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/"), 1
    for line in lines:
        if line.startswith("0::"):
            return Path("/sys/fs/cgroup") / line[3:].lstrip("/"), 2
    return None, 0
