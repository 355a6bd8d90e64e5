"""A live one-line progress indicator on a terminal's stderr.

Only when stderr is a TTY, and only once the run has lasted a second: short runs
and CI logs (not terminals) see nothing. The line is rewritten in place
(carriage return) and wiped before the results are written, so the output stays
as it would be without it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, TextIO

#: A run shorter than this shows no progress line.
SHOW_AFTER_SECONDS = 1.0
#: How often the line is redrawn (it is redrawn only when it changed).
REDRAW_SECONDS = 0.2


class ProgressLine:
    """Counts rules as they finish (thread-safe) and redraws one line from its own thread."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.counts = {"done": 0, "fail": 0, "error": 0}
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._shown = ""
        self._thread = threading.Thread(target=self._draw_loop, name="progress", daemon=True)
        self._thread.start()

    def record(self, _assertion: str, result: dict[str, Any]) -> None:
        """The progress callback of the runner: one rule finished."""
        status = result.get("status")
        with self._lock:
            self.counts["done"] += 1
            if status in ("fail", "error"):
                self.counts[str(status)] += 1

    def line(self) -> str:
        """The text of the progress line."""
        with self._lock:
            counts = dict(self.counts)
        seconds = int(time.monotonic() - self._started)
        return (
            f"netchecks: {counts['done']}/{self.total} rules done, "
            f"{counts['fail']} failed, {counts['error']} error(s), {seconds}s"
        )

    def _draw_loop(self) -> None:
        if self._stop.wait(SHOW_AFTER_SECONDS):
            return
        while not self._stop.is_set():
            text = self.line()
            if text != self._shown:
                self._write("\r" + text.ljust(len(self._shown)))
                self._shown = text
            self._stop.wait(REDRAW_SECONDS)

    def close(self) -> None:
        """Stop drawing and wipe the line (before the results are written)."""
        self._stop.set()
        self._thread.join(timeout=2 * REDRAW_SECONDS + 1)
        if self._shown:
            self._write("\r" + " " * len(self._shown) + "\r")
            self._shown = ""

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth an error
            self._stop.set()


def progress_line(total: int, stream: TextIO) -> ProgressLine | None:
    """A progress line on ``stream`` when it is a terminal, else None."""
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return ProgressLine(total, stream) if interactive and total > 0 else None
