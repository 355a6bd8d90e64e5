"""The results service's errors.

::

    ResultsError             root of every error raised by netchecks_results
    └── LogNotReadyError     a run's log cannot be read yet; also a TemporaryError (retried
                             with back-off until ``log_read_attempts`` are spent)

Errors of the API calls are :mod:`netchecks_service.errors`; the controller's
``error_policy`` switches on :class:`~netchecks_core.errors.PermanentError` and
:class:`~netchecks_core.errors.TemporaryError` only.
"""

from __future__ import annotations

from netchecks_core.errors import TemporaryError


class ResultsError(Exception):
    """Root of every error raised by :mod:`netchecks_results`."""


class LogNotReadyError(ResultsError, TemporaryError):
    """The run's log cannot be read yet (e.g. the kubelet is slow to serve it): retry."""
