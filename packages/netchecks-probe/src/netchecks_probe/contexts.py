"""Loading the contexts of a probe config: named data for templates and CEL rules.

- ``inline``: the config's own data, its templates rendered against the
  contexts loaded before it;
- ``file``: a JSON (or YAML) file;
- ``directory``: one key per file, read lazily; entries starting with ``.`` are
  skipped (Kubernetes mounts hold ``..data`` symlinks and timestamped folders),
  and keys cannot name anything outside the directory.

A context that cannot be loaded does not stop the run: it is recorded in
:attr:`LoadedContexts.failed`, and only the rules that use it get an error.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netchecks_core.limits import DataLimitError, check_shape, load_json, load_yaml
from netchecks_core.runnable import (
    RunnableContext,
    RunnableDirectoryContext,
    RunnableFileContext,
    RunnableInlineContext,
)
from netchecks_core.templates import has_template

from netchecks_probe.checks.base import Deadline
from netchecks_probe.errors import ContextError
from netchecks_probe.files import FileRefusedError, read_bounded

log = logging.getLogger(__name__)


class DirectoryMapping(Mapping[str, str]):
    """The files of a directory as a read-only mapping: name -> text, read on first access."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._root = path.resolve()
        self._keys = sorted(
            entry.name
            for entry in os.scandir(path)
            if not entry.name.startswith(".") and entry.is_file()
        )
        self._known = frozenset(self._keys)
        self._values: dict[str, str] = {}
        # Re-entrant: a warning logged while reading asks (via log redaction) for read values.
        self._lock = threading.RLock()

    def __getitem__(self, key: str) -> str:
        if key not in self._known:
            raise KeyError(key)
        with self._lock:
            if key not in self._values:
                self._values[key] = self._read(key)
            return self._values[key]

    def _read(self, key: str) -> str:
        target = (self.path / key).resolve()
        # A key's symlink may point into ..data/ (inside), never outside the directory.
        if not target.is_relative_to(self._root):
            log.warning("context file %s points outside %s; ignored", key, self.path)
            raise KeyError(key)
        try:
            return target.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            log.warning("cannot read context file %s: %s", self.path / key, error.strerror)
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def read_values(self) -> list[str]:
        """The values read so far (for redaction: only read values can leak)."""
        with self._lock:
            return list(self._values.values())


@dataclass
class LoadedContexts:
    """Contexts by name, which of them hold secrets, and which failed to load (and why)."""

    values: dict[str, Any] = field(default_factory=dict)
    secret_names: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)

    def secret_values(self) -> list[str]:
        """Every secret value: the scalars of Secret-backed contexts (those read so far)
        and the scalars derived from them (see :func:`netchecks_probe.secrets.derived_scalars`).
        """
        from netchecks_probe.secrets import derived_scalars

        found: set[str] = set()
        for name in sorted(self.secret_names):
            value = self.values.get(name)
            if isinstance(value, DirectoryMapping):
                value = value.read_values()
            found.update(derived_scalars(value))
        return sorted(found)


def load_contexts(
    contexts: Sequence[RunnableContext],
    deadline: Deadline | None = None,
    into: LoadedContexts | None = None,
) -> LoadedContexts:
    """Load contexts in order; later inline contexts may use earlier ones in templates.

    Contexts not reached before ``deadline`` are failed (the rules using them get an
    error). ``into`` receives them as they load (a redactor may already watch it).
    """
    loaded = into if into is not None else LoadedContexts()
    for index, context in enumerate(contexts):
        if context.secret:
            loaded.secret_names.add(context.name)
        if deadline is not None and deadline.expired():
            loaded.failed[context.name] = "not loaded: the run's deadline passed"
            continue
        try:
            loaded.values[context.name] = _load(context, index, loaded.values)
        except ContextError as error:
            loaded.failed[context.name] = str(error)
            log.warning("context %s not loaded: %s", context.name, error)
    return loaded


def _load(context: RunnableContext, index: int, earlier: Mapping[str, Any]) -> Any:
    if isinstance(context, RunnableInlineContext):
        return _render_inline(context, index, earlier)
    assert isinstance(context, RunnableFileContext | RunnableDirectoryContext)
    path = Path(context.path)
    if isinstance(context, RunnableFileContext):
        return _load_file(context, path)
    assert isinstance(context, RunnableDirectoryContext)
    if not path.exists():
        raise ContextError(f"context {context.name!r}: directory {path} does not exist")
    if not path.is_dir():
        raise ContextError(f"context {context.name!r}: {path} is not a directory")
    try:
        return DirectoryMapping(path)
    except OSError as error:
        raise ContextError(f"context {context.name!r}: cannot list {path}: {error}") from None


def _render_inline(context: RunnableInlineContext, index: int, earlier: Mapping[str, Any]) -> Any:
    try:
        check_shape(context.data)
    except DataLimitError as error:
        raise ContextError(f"context {context.name!r}: {error}") from None
    if not _any_template(context.data):
        return context.data
    # Only now: rendering imports the CEL engine.
    from netchecks_core.render import TemplateError, render

    try:
        return render(context.data, earlier, f"contexts[{index}].data")
    except TemplateError as error:
        raise ContextError(f"context {context.name!r}: {error}") from None


def _any_template(value: Any) -> bool:
    if isinstance(value, str):
        return has_template(value)
    if isinstance(value, dict):
        return any(_any_template(k) or _any_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_template(item) for item in value)
    return False


def _load_file(context: RunnableFileContext, path: Path) -> Any:
    try:
        text = read_bounded(path, MAX_CONTEXT_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ContextError(f"context {context.name!r}: file {path} does not exist") from None
    except IsADirectoryError:
        raise ContextError(f"context {context.name!r}: {path} is a directory, not a file") from None
    except FileRefusedError as error:
        raise ContextError(f"context {context.name!r}: {path} {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContextError(f"context {context.name!r}: cannot read {path}: {error}") from None
    try:
        return load_json(text)
    except DataLimitError as error:
        raise ContextError(f"context {context.name!r}: {path}: {error}") from None
    except ValueError as json_error:
        import yaml

        try:
            return load_yaml(text)
        except DataLimitError as error:
            raise ContextError(f"context {context.name!r}: {path}: {error}") from None
        except yaml.YAMLError:
            reason = (
                f"{json_error.msg} at line {json_error.lineno}"
                if isinstance(json_error, json.JSONDecodeError)
                else str(json_error)
            )
            raise ContextError(
                f"context {context.name!r}: {path} is neither JSON nor YAML ({reason})"
            ) from None


#: Largest context file read (a mounted ConfigMap or Secret holds at most 1 MiB).
MAX_CONTEXT_FILE_BYTES = 4 * 1024 * 1024
