"""The ``internal`` check: observes nothing; its CEL rule judges context data."""

from __future__ import annotations

from typing import Any

from netchecks_core.runnable import RunnableInternal

from netchecks_probe.checks.base import Deadline

DEFAULT_RULE = "true"
#: ``run`` returns at once.
SELF_BOUNDED = True


def run(rule: RunnableInternal, deadline: Deadline) -> dict[str, Any]:
    """Return empty data: the rule's CEL expression sees only the contexts."""
    del rule, deadline  # nothing to observe
    return {}
