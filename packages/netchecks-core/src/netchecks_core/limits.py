"""Bounds on data we parse or walk: size, nesting depth, YAML aliases.

Untrusted text (a response body, a context file, a Secret) may be built to blow
up when parsed or walked: a YAML "billion laughs" whose aliases expand
exponentially, JSON nested deeper than Python's recursion limit. Everything that
parses such text goes through :func:`load_yaml` / :func:`load_json`, and
everything that walks parsed data can ask :func:`check_shape` first; each raises
:class:`DataLimitError` (a ``ValueError``) with a message saying which bound.
"""

from __future__ import annotations

import json
from typing import Any

from netchecks_core.depth import MAX_DEPTH, exceeded
from netchecks_core.errors import NetchecksError

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_YAML_ALIASES",
    "DataLimitError",
    "check_shape",
    "compose_yaml_all",
    "load_json",
    "load_yaml",
    "load_yaml_all",
    "load_yaml_all_with_nodes",
]

#: Most values (scalars, lists and maps, counting each alias use) in one parsed document.
MAX_NODES = 1_000_000
#: Most alias uses in one YAML document (Kubernetes' own YAML decoder refuses bombs too).
MAX_YAML_ALIASES = 100


class DataLimitError(NetchecksError, ValueError):
    """Data is too deep, too big or too aliased to be used."""


def check_shape(value: Any, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raise :class:`DataLimitError` when ``value`` nests deeper or holds more than allowed.

    Iterative (no recursion limit to hit) and stops at the first bound exceeded, so
    shared references (YAML aliases) cost at most ``max_nodes`` steps.
    """
    found = exceeded(value, max_depth, max_nodes)
    if found is not None and found[0] == "nodes":
        raise DataLimitError(f"the data holds more than {max_nodes} values")
    if found is not None:
        raise DataLimitError(f"the data is nested more than {max_depth} levels deep")


def load_json(text: str) -> Any:
    """Parse JSON within the bounds (depth, size)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise DataLimitError(f"the data is nested more than {MAX_DEPTH} levels deep") from None
    check_shape(value)
    return value


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely within the bounds (aliases, depth, size).

    Raises ``yaml.YAMLError`` for text that is not YAML, :class:`DataLimitError` for
    YAML that exceeds a bound.
    """
    loader = _bounded_loader(text)
    try:
        value = loader.get_single_data()
    except RecursionError:
        raise DataLimitError(f"the data is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    check_shape(value)
    return value


def load_yaml_all(text: str) -> list[Any]:
    """Parse every YAML document of ``text`` within the bounds (see :func:`load_yaml`)."""
    return [value for value, _ in load_yaml_all_with_nodes(text)]


def load_yaml_all_with_nodes(text: str) -> list[tuple[Any, Any]]:
    """Like :func:`load_yaml_all`, each document with its composed ``yaml.Node``.

    The nodes carry marks (line and column in ``text``, counted over the whole
    stream), so a caller can say where a value stands without parsing again.
    """
    loader = _bounded_loader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append((loader.construct_document(node), node))
    except RecursionError:
        raise DataLimitError(f"the data is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    for document, _ in documents:
        check_shape(document)
    return documents


def compose_yaml_all(text: str) -> list[Any]:
    """The composed ``yaml.Node`` of each document of ``text`` (marks only, nothing built).

    Within the alias bound; nesting is bounded by Python's recursion limit, which
    raises :class:`DataLimitError`.
    """
    loader = _bounded_loader(text)
    nodes = []
    try:
        while loader.check_node():
            nodes.append(loader.get_node())
    except RecursionError:
        raise DataLimitError(f"the data is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    return nodes


def _bounded_loader(text: str) -> Any:
    import yaml  # only callers that parse YAML pay for the import

    class _BoundedLoader(yaml.SafeLoader):
        """Counts alias uses: the expansion of a few nested aliases is exponential."""

        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise DataLimitError(f"the YAML uses more than {MAX_YAML_ALIASES} aliases")
            return super().compose_node(parent, index)

    return _BoundedLoader(text)
