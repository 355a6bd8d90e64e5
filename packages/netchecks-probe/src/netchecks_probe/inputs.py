"""Reading the probe's inputs: files, directories and streams of YAML or JSON documents.

``-f``/``--config`` take several paths, like ``kubectl -f``: a file (JSON, or
YAML with one or more documents), ``-`` for stdin, or a directory (its
``.yaml``, ``.yml`` and ``.json`` files, and those of its subdirectories with
``-R``). Each document is labelled by its file, and by its index when the file
holds several (``a.yaml[1]``).

A file that cannot be read or parsed is a :class:`Refusal` for that file;
the others are still read, so every problem is reported at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netchecks_core.documents import ManifestError, parse_documents_with_nodes
from netchecks_core.limits import DataLimitError, compose_yaml_all

from netchecks_probe.errors import InputError
from netchecks_probe.files import FileRefusedError, read_bounded
from netchecks_probe.locations import RuleKey, rule_lines

#: The files a directory contributes.
SUFFIXES = (".yaml", ".yml", ".json")
#: Largest input file read (the API server stores at most ~1.5 MiB per object).
MAX_INPUT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """One parsed document and where it came from (``a.yaml`` or ``a.yaml[1]``)."""

    label: str
    content: Any
    #: The file read (None: stdin).
    file: str | None = None
    #: The line of each rule in that file (see :func:`netchecks_probe.locations.rule_lines`).
    rule_lines: Mapping[RuleKey, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """A file, or a document, that cannot be used; ``message`` says why."""

    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


def load_documents(
    sources: Sequence[str], recursive: bool = False, lines_of_json: bool = False
) -> tuple[list[Document], list[Refusal]]:
    """Every document of every source, and the sources that could not be read.

    Rule lines come with YAML documents; JSON ones get them with ``lines_of_json``
    (a second, YAML, pass over the text: only when a report shows lines).
    """
    documents: list[Document] = []
    refusals: list[Refusal] = []
    for path in expand(sources, recursive, refusals):
        try:
            text = read_text(path)
            found = _located_documents(text, path, lines_of_json)
        except InputError as error:
            refusals.append(Refusal(_name(path), str(error)))
            continue
        file = None if path == "-" else path
        for index, (content, lines) in enumerate(found):
            label = f"{_name(path)}[{index}]" if len(found) > 1 else _name(path)
            documents.append(Document(label, content, file, lines))
    return documents, refusals


def expand(sources: Iterable[str], recursive: bool, refusals: list[Refusal]) -> list[str]:
    """Files named, and the files of directories named (sorted; nested ones with ``recursive``)."""
    files: list[str] = []
    for source in sources:
        path = Path(source)
        if source == "-" or not path.is_dir():
            files.append(source)
            continue
        pattern = "**/*" if recursive else "*"
        found = sorted(p for p in path.glob(pattern) if p.suffix in SUFFIXES and p.is_file())
        if not found:
            refusals.append(Refusal(source, f"directory holds no {', '.join(SUFFIXES)} file"))
        files += [str(p) for p in found]
    return files


def read_text(source: str) -> str:
    """The text of a file, or of stdin when ``source`` is ``-``, at most MAX_INPUT_BYTES."""
    try:
        raw = _read_stdin() if source == "-" else read_bounded(Path(source), MAX_INPUT_BYTES)
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError("no such file") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except FileRefusedError as error:
        raise InputError(str(error)) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}") from None


def _read_stdin() -> bytes:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise FileRefusedError(f"is larger than {MAX_INPUT_BYTES} bytes")
    return raw


def parse_documents(text: str, source: str) -> list[Any]:
    """JSON (one document) or YAML (one or more documents), within netchecks_core.limits."""
    return [content for content, _ in _nodes_of_documents(text, source)]


def _located_documents(
    text: str, source: str, lines_of_json: bool
) -> list[tuple[Any, dict[RuleKey, int]]]:
    found = _nodes_of_documents(text, source)
    if lines_of_json and len(found) == 1 and found[0][1] is None:
        found = [(found[0][0], _json_node(text))]
    return [(content, rule_lines(node) if node is not None else {}) for content, node in found]


def _json_node(text: str) -> Any:
    """The node of a JSON document, for its marks (None when YAML reads it otherwise)."""
    import yaml

    try:
        nodes = compose_yaml_all(text)
    except (yaml.YAMLError, DataLimitError):
        return None
    return nodes[0] if len(nodes) == 1 else None


def _nodes_of_documents(text: str, source: str) -> list[tuple[Any, Any]]:
    """Each document and its YAML node (None for JSON, parsed without nodes)."""
    try:
        return parse_documents_with_nodes(text, source)
    except ManifestError as error:
        raise InputError(str(error)) from None


def name_path_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``["cfg=/tmp/cfg"]`` -> ``{"cfg": "/tmp/cfg"}``."""
    pairs: dict[str, str] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise InputError(f"{option} {value!r}: expected NAME=PATH")
        pairs[name] = path
    return pairs


def _name(source: str) -> str:
    return "stdin" if source == "-" else source
