"""The operator's errors.

::

    OperatorError            root of every error raised by netchecks_operator
    ├── NameTakenError       a child's name is used by an object this assertion does not
    │                        own; also a PermanentError (shown in status, retried slowly)
    └── PodTemplateError     ``spec.template`` cannot be applied (its shape is wrong); also
                             a ValueError (the plan shows it as InvalidSpec)

Errors of the API calls are :mod:`netchecks_service.errors`; the controller's
``error_policy`` switches on :class:`~netchecks_core.errors.PermanentError` and
:class:`~netchecks_core.errors.TemporaryError` only. This module imports no service
plumbing, so the operator's pure modules can raise these.
"""

from __future__ import annotations

from netchecks_core.errors import PermanentError


class OperatorError(Exception):
    """Root of every error raised by :mod:`netchecks_operator`."""


class NameTakenError(OperatorError, PermanentError):
    """A child's name is used by an object this assertion does not own."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(
            f"{kind} {name} exists and is not owned by this assertion; rename or delete it"
        )


class PodTemplateError(OperatorError, ValueError):
    """``spec.template`` cannot be applied (its shape is wrong)."""
