"""NetworkAssertion spec -> probe config (pure; the operator and ``netchecks run -f`` share it).

As compat.md says: each rule becomes one assertion of the probe config named
after the rule; ConfigMap and Secret contexts become ``directory`` contexts at
the path where they are mounted (``/mnt/<context name>`` in a probe Pod), Secret
ones marked ``"secret": true``; inline contexts are copied.

Rule names may repeat within an assertion (0.10 accepted it): each rule's result
is named by :func:`result_names` (``name``, ``name#2``, ``name#3``...), and the
probe config, the probe output and the PolicyReport all use those names.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only annotations: converting needs the spec built, not its module
    from netchecks_core.assertion import NetworkAssertionSpec

__all__ = ["DEFAULT_MOUNT_ROOT", "context_mount_path", "probe_config_from_spec", "result_names"]

#: Where a probe Pod mounts each ConfigMap or Secret context.
DEFAULT_MOUNT_ROOT = "/mnt"


def context_mount_path(name: str, mount_root: str = DEFAULT_MOUNT_ROOT) -> str:
    """The directory a context named ``name`` is mounted at in a probe Pod."""
    return f"{mount_root.rstrip('/')}/{name}"


def result_names(rules: Sequence[Any]) -> list[str]:
    """The name of each rule's result, unique within the assertion.

    A rule keeps its name the first time it appears; a repeat is ``name#N`` with
    the smallest ``N >= 2`` that no rule uses; an unnamed rule is ``rule-<index>``.
    """
    own = [
        str(rule.get("name") or f"rule-{index}") if isinstance(rule, Mapping) else f"rule-{index}"
        for index, rule in enumerate(rules)
    ]
    taken = set(own)
    seen: set[str] = set()
    names = []
    for name in own:
        if name in seen:
            number = 2
            while f"{name}#{number}" in taken:
                number += 1
            name = f"{name}#{number}"
            taken.add(name)
        seen.add(name)
        names.append(name)
    return names


def probe_config_from_spec(
    spec: NetworkAssertionSpec,
    mount_paths: Mapping[str, str] | None = None,
    mount_root: str = DEFAULT_MOUNT_ROOT,
) -> dict[str, Any]:
    """The probe config that runs ``spec``'s rules.

    Args:
        spec: the assertion's spec.
        mount_paths: directory of a ConfigMap/Secret context by name; contexts not
            given here are at ``<mount_root>/<name>``.
        mount_root: where contexts are mounted by default.

    The result holds ``"disableRedaction": true`` when the spec asks for it (the
    probe honours it like ``--disable-redaction``).
    """
    paths = dict(mount_paths or {})
    contexts: list[dict[str, Any]] = []
    for context in spec.context:
        if context.inline is not None:
            contexts.append(
                {"name": context.name, "type": "inline", "data": copy.deepcopy(context.inline)}
            )
            continue
        path = paths.get(context.name) or context_mount_path(context.name, mount_root)
        entry: dict[str, Any] = {"name": context.name, "type": "directory", "path": path}
        if context.secret is not None:
            entry["secret"] = True
        contexts.append(entry)
    assertions = [
        {"name": name, "rules": [{**copy.deepcopy(rule), "name": name}]}
        for name, rule in zip(result_names(spec.rules), spec.rules, strict=True)
    ]
    config: dict[str, Any] = {"assertions": assertions, "contexts": contexts}
    if spec.disable_redaction:
        config["disableRedaction"] = True
    return config
