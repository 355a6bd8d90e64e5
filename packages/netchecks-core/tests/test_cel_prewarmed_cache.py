"""A parser cache written at image build time is used from a read-only filesystem."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from netchecks_core import cel


def test_a_prewarmed_cache_file_is_used_where_the_directory_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECKS_CACHE_DIR", str(tmp_path))
    path = cel._cache_file()
    assert path is not None
    Path(path).write_bytes(b"tables")
    real_access = os.access

    def read_only(target: Any, mode: int) -> bool:  # a read-only root filesystem
        return False if mode & os.W_OK else real_access(target, mode)

    monkeypatch.setattr(os, "access", read_only)
    assert cel._cache_file() == path


def test_without_a_cache_file_an_unwritable_directory_gives_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECKS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(os, "access", lambda _target, mode: not mode & os.W_OK)
    assert cel._cache_file() is None
