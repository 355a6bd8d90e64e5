"""Where ``netchecks run -f`` finds the files of manifests' ConfigMap and Secret contexts.

- ``--context-dir NAME=PATH`` / ``--secret-dir NAME=PATH``: the context ``NAME`` of
  every manifest reads ``PATH`` (one directory, one file per key);
- ``--context-root DIR``: a tree mirroring the cluster's objects, one directory per
  object, one file per key::

      DIR/<namespace>/configmaps/<name>/<key>
      DIR/<namespace>/secrets/<name>/<key>

  A manifest's context reads the object of the manifest's namespace
  (``metadata.namespace``, else ``default``), as its probe Pod would mount it.

A named directory wins over the root for its context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the assertion models are only needed by manifests (run -f): not imported
    from netchecks_core.assertion import AssertionContext

#: A Kubernetes object or namespace name (DNS subdomain): never ``..`` or a path.
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
#: The namespace of a manifest that names none (as ``kubectl apply`` would use).
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class ContextSources:
    """The directories given for ConfigMap and Secret contexts."""

    config_maps: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None

    def path_of(self, context: AssertionContext, namespace: str) -> tuple[str | None, str]:
        """The directory of a ConfigMap/Secret context, or None and the reason."""
        secret = context.secret is not None
        given = self.secrets if secret else self.config_maps
        if context.name in given:
            return given[context.name], ""
        kind, option = ("secret", "--secret-dir") if secret else ("configMap", "--context-dir")
        source = f"{kind} {context.source_name()!r}"
        if self.root is None:
            return None, (
                f"context {context.name!r} comes from {source}: "
                f"give its files with {option} {context.name}=PATH or --context-root DIR"
            )
        return self._under_root(context, namespace, secret, source, option)

    def _under_root(
        self, context: AssertionContext, namespace: str, secret: bool, source: str, option: str
    ) -> tuple[str | None, str]:
        assert self.root is not None
        name = str(context.source_name())
        if not all(_OBJECT_NAME.fullmatch(part) for part in (namespace, name)):
            return None, f"context {context.name!r}: {namespace}/{name} is not a Kubernetes name"
        object_source = context.secret if secret else context.config_map
        if object_source is not None and object_source.items:
            return None, (
                f"context {context.name!r} selects items of {source}, which --context-root "
                f"does not rearrange: give its files with {option} {context.name}=PATH"
            )
        path = self.root / namespace / ("secrets" if secret else "configmaps") / name
        if not path.is_dir():
            return None, f"context {context.name!r} comes from {source}: no directory {path}"
        return str(path), ""


def namespace_of(content: Any) -> str:
    """A manifest's namespace (``default`` when it names none)."""
    metadata = content.get("metadata") if isinstance(content, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) and namespace else DEFAULT_NAMESPACE
