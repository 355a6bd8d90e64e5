"""The public names of ``netchecks_core``: its three lists agree, and each name resolves.

``__all__``, the lazy-import table and the ``TYPE_CHECKING`` imports are kept by hand; this
pins them together (as httpx's ``test_exported_members`` pins ``httpx.__all__``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import netchecks_core


def _type_checking_imports() -> dict[str, str]:
    """name -> module of the imports under ``if TYPE_CHECKING:`` in ``__init__.py``."""
    tree = ast.parse(Path(netchecks_core.__file__).read_text())
    guard = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    return {
        alias.name: str(node.module)
        for node in guard.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_exported_members_are_all_and_the_lazy_table_and_the_type_checking_imports() -> None:
    lazy = netchecks_core._LAZY
    assert sorted(netchecks_core.__all__) == sorted(lazy)
    assert _type_checking_imports() == lazy


def test_each_exported_member_is_the_object_its_module_defines() -> None:
    for name, module in netchecks_core._LAZY.items():
        assert getattr(netchecks_core, name) is getattr(importlib.import_module(module), name)
