"""What every check shares: the deadline it must respect.

One object answers "how long may this still take": the run has a
:class:`Deadline` (``--run-timeout``), and :meth:`Deadline.for_rule` gives each
attempt of a rule its own, the rule's timeout cut short by the run's. A check
only ever asks its deadline for :meth:`~Deadline.remaining` time.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A point in monotonic time by which a check must have returned.

    ``by_run`` is true when the run's deadline, not the rule's own timeout, set
    that point: a check that runs out of time then was cut by the run (reason
    ``deadline``, an error), not timed out by its target (reason ``timeout``).
    """

    at: float
    by_run: bool = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    def for_rule(self, timeout: float) -> Deadline:
        """The deadline of one attempt of a rule: ``timeout`` from now, within this one."""
        own = time.monotonic() + timeout
        return Deadline(min(own, self.at), by_run=self.at < own)

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.at


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IP address literal (not a name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
