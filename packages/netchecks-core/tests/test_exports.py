"""The public API of ``netchecks_core``: exactly the names listed here, each documented.

``__all__``, the lazy-import table and the ``TYPE_CHECKING`` imports are kept by hand; this
pins them together (as httpx's ``test_exported_members`` pins ``httpx.__all__``), and pins
``__all__`` to :data:`PUBLIC_API`, so adding or removing a public name is a deliberate
change of this list too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import types
from pathlib import Path

import netchecks_core

PUBLIC_API = {
    # models
    "API_VERSION",
    "RULE_TYPES",
    "AssertionConfig",
    "AssertionContext",
    "AssertionResult",
    "Condition",
    "Context",
    "DirectoryContext",
    "DnsRule",
    "FileContext",
    "HttpRule",
    "InlineContext",
    "InternalRule",
    "NetworkAssertion",
    "NetworkAssertionSpec",
    "NetworkAssertionStatus",
    "OutputMetadata",
    "PostgresGrantsRule",
    "PostgresRule",
    "ProbeConfig",
    "ProbeOutput",
    "Rule",
    "RuleBase",
    "RuleResult",
    "RuleStatus",
    "Summary",
    "TcpRule",
    # loading manifests, typed rules
    "Manifest",
    "ManifestError",
    "load_manifests",
    "parse_manifests",
    "RuleError",
    "TemplatedRule",
    "typed_rules",
    # the validator, the verdict, the schemas, the root error
    "Problem",
    "Report",
    "RuleProblems",
    "check_unrendered_rule",
    "parse_rule",
    "validate_config",
    "validate_manifest",
    "CelOutcome",
    "Verdict",
    "decide",
    "assertion_schema",
    "probe_config_schema",
    "probe_output_schema",
    "NetchecksError",
}


def _type_checking_imports() -> dict[str, str]:
    """name -> module of the imports under ``if _typing.TYPE_CHECKING:`` in ``__init__.py``."""
    tree = ast.parse(Path(netchecks_core.__file__).read_text())
    guard = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "_typing.TYPE_CHECKING"
    )
    return {
        alias.name: str(node.module)
        for node in guard.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_all_is_exactly_the_public_api() -> None:
    assert set(netchecks_core.__all__) == PUBLIC_API
    assert len(netchecks_core.__all__) == len(PUBLIC_API)


def test_exported_members_are_all_and_the_lazy_table_and_the_type_checking_imports() -> None:
    lazy = netchecks_core._LAZY
    assert sorted(netchecks_core.__all__) == sorted(lazy)
    assert _type_checking_imports() == lazy


def test_each_exported_member_is_the_object_its_module_defines() -> None:
    for name, module in netchecks_core._LAZY.items():
        assert getattr(netchecks_core, name) is getattr(importlib.import_module(module), name)


def _documented_by_comment(module: str, name: str) -> bool:
    """Whether a module-level assignment of ``name`` has a ``#:`` comment right above it."""
    source = inspect.getsource(importlib.import_module(module))
    lines = source.splitlines()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return lines[node.lineno - 2].startswith("#: ")
    return False


def test_every_public_name_is_documented() -> None:
    undocumented = []
    for name, module in netchecks_core._LAZY.items():
        value = getattr(netchecks_core, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            # A class's own docstring, not one inherited from its base.
            doc = value.__doc__ if inspect.isfunction(value) else vars(value).get("__doc__")
            documented = bool((doc or "").strip())
        else:  # constants and type aliases: a Sphinx ``#:`` comment where they are defined
            documented = _documented_by_comment(module, name)
        if not documented:
            undocumented.append(name)

    assert undocumented == []


def test_the_package_namespace_holds_only_the_public_api_and_submodules() -> None:
    public = {name for name in vars(netchecks_core) if not name.startswith("_")}
    modules = {
        name for name in public if isinstance(getattr(netchecks_core, name), types.ModuleType)
    }

    assert public - modules <= PUBLIC_API
    assert dir(netchecks_core) == sorted(PUBLIC_API)
    assert not [name for name in netchecks_core.__all__ if name.startswith("_")]
