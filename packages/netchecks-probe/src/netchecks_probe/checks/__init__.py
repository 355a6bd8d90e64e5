"""Check types: one module per type, imported only when a rule of that type runs.

Each check module provides:

- ``DEFAULT_RULE: str`` -- the CEL rule used when a rule gives none;
- ``run(rule, deadline) -> dict`` -- performs the check and returns its ``data``,
  with ``startTimestamp``/``endTimestamp`` around its network exchange
  (:class:`~netchecks_probe.checks.base.NetworkClock`); without them the runner
  times the whole call.
  Network failures are data, not exceptions: the check sets ``data['reason']``
  (one of :data:`netchecks_core.reasons.REASONS`) and ``exception-type`` /
  ``exception``. An exception escaping ``run`` is a bug in the check and gives
  the rule an ``error`` result;
- optionally ``SELF_BOUNDED = True`` -- ``run`` returns within its deadline (plus
  :data:`~netchecks_probe.checks.bounded.GRACE`) on its own, so the runner calls it in
  the rule's worker thread instead of watching it from another;
- optionally ``echo_spec(rule) -> dict`` -- the rule as echoed in the result's
  ``spec`` when it differs from the plain dump of the model.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

#: Check type -> module. Kept as strings so that start-up imports none of them.
CHECK_MODULES: dict[str, str] = {
    "dns": "netchecks_probe.checks.dns",
    "http": "netchecks_probe.checks.http",
    "tcp": "netchecks_probe.checks.tcp",
    "internal": "netchecks_probe.checks.internal",
    "postgres": "netchecks_probe.checks.postgres",
    "postgres-grants": "netchecks_probe.checks.postgres_grants",
}


def load_check(check_type: str) -> ModuleType:
    """The module implementing a check type (imported on first use)."""
    try:
        module_name = CHECK_MODULES[check_type]
    except KeyError:
        raise ValueError(f"unknown check type {check_type!r}") from None
    # Looked up first: import_module takes the import machinery's locks on every call.
    module = sys.modules.get(module_name)
    if module is None or getattr(module.__spec__, "_initializing", False):
        module = importlib.import_module(module_name)
    return module
