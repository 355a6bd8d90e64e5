"""The shape every local target shares: ``start``/``stop``, and ``with`` calling them."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self


class Target(abc.ABC):
    """A local server (or set of files) that tests start, use and stop.

    ``with target:`` calls :meth:`start`, and :meth:`stop` on the way out, even on error.
    """

    @abc.abstractmethod
    def start(self) -> None:
        """Bring the target up; return once it serves."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Take the target down and release what it holds (safe to call twice)."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
