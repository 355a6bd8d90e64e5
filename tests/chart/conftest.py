"""Fixtures of the chart tests (kubesim with RBAC for the install tests)."""

from __future__ import annotations

from tools.kubesim.pytest_plugin import *  # noqa: F403 - kubesim fixtures
