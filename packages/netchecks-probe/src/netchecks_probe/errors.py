"""The probe's errors.

::

    ProbeError               root of every error raised by netchecks_probe
    ├── InputError           the input cannot be used at all (the CLI exits 2 with it)
    ├── ContextError         a context could not be loaded (its rules are judged ``error``)
    └── CheckSetupError      a check cannot start as asked (raised inside a check module and
        │                    turned into the rule's ``error`` result, never out of the run)
        ├── InvalidDsnError  (checks.pg_common) the DSN cannot be used; also a psycopg
        │                    ProgrammingError
        └── InvalidRuleError (checks.postgres_grants) a grants rule names unknown roles

Errors of the models, CEL and templates are :mod:`netchecks_core.errors`. Network
failures are not errors here: each check turns them into data with a fixed ``reason``
(:mod:`netchecks_probe.checks.failures`). This module imports nothing, so the CLI's
``--version`` stays fast.
"""

from __future__ import annotations


class ProbeError(Exception):
    """Root of every error raised by :mod:`netchecks_probe`."""


class InputError(ProbeError):
    """The input cannot be used at all (the CLI exits 2 with this message)."""


class ContextError(ProbeError):
    """A context could not be loaded; the message says which and why."""


class CheckSetupError(ProbeError):
    """A check cannot start as asked; the check turns it into the rule's result."""
