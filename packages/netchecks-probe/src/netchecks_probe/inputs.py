"""Reading the probe's inputs: a probe config file, or a NetworkAssertion manifest.

Anything that makes the input unusable as a whole raises :class:`InputError`
with a one-line message (the CLI exits 2); problems of single rules are left
to the runner, which gives those rules an ``error`` result.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netchecks_core.errors import describe_errors
from netchecks_core.limits import DataLimitError, load_json, load_yaml_all
from netchecks_core.probe_config import ProbeConfig
from pydantic import ValidationError

if TYPE_CHECKING:
    from netchecks_core.assertion import NetworkAssertion


class InputError(Exception):
    """The input cannot be used at all (the CLI exits 2 with this message)."""


def read_text(source: str) -> str:
    """The text of a file, or of stdin when ``source`` is ``-``."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{source}: permission denied") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise InputError(f"{source}: cannot read: {error.strerror}") from None


def parse_documents(text: str, source: str) -> list[Any]:
    """JSON (one document) or YAML (one or more documents), within netchecks_core.limits."""
    try:
        return _parse_documents(text, source)
    except DataLimitError as error:
        raise InputError(f"{_name(source)}: {error}") from None


def _parse_documents(text: str, source: str) -> list[Any]:
    if not text.strip():
        raise InputError(f"{_name(source)}: is empty")
    try:
        document = load_json(text)
    except json.JSONDecodeError as json_error:
        import yaml  # only for YAML input

        try:
            documents = [d for d in load_yaml_all(text) if d is not None]
        except yaml.YAMLError as yaml_error:
            if text.lstrip()[:1] in "{[" or source.endswith(".json"):
                where = f"line {json_error.lineno} column {json_error.colno}"
                raise InputError(
                    f"{_name(source)}: invalid JSON at {where}: {json_error.msg}"
                ) from None
            raise InputError(
                f"{_name(source)}: invalid YAML: {_yaml_problem(yaml_error)}"
            ) from None
    else:
        return [document]
    if not documents:
        raise InputError(f"{_name(source)}: holds no document")
    return documents


def load_config_document(source: str) -> Any:
    """The raw probe config document of a file (``-`` for stdin)."""
    documents = parse_documents(read_text(source), source)
    if len(documents) != 1:
        raise InputError(f"{_name(source)}: holds {len(documents)} documents; a config is one")
    return documents[0]


def parse_config(document: Any, source: str) -> ProbeConfig:
    """Validate a config document as a whole; all problems in one message."""
    if not isinstance(document, dict):
        kind = type(document).__name__ if document is not None else "null"
        raise InputError(
            f"{_name(source)}: a probe config is an object with 'assertions', got {kind}"
        )
    try:
        return ProbeConfig.model_validate(document)
    except ValidationError as error:
        raise InputError(f"{_name(source)}: " + "; ".join(describe_errors(error))) from None


def load_config(source: str) -> ProbeConfig:
    """Read and validate a probe config file."""
    return parse_config(load_config_document(source), source)


def load_manifest_document(source: str) -> dict[str, Any]:
    """The one NetworkAssertion of a manifest file (other kinds are ignored)."""
    documents = parse_documents(read_text(source), source)
    found = [d for d in documents if isinstance(d, dict) and d.get("kind") == "NetworkAssertion"]
    if not found:
        raise InputError(f"{_name(source)}: holds no NetworkAssertion (kind: NetworkAssertion)")
    if len(found) > 1:
        raise InputError(f"{_name(source)}: holds {len(found)} NetworkAssertions; give one per run")
    return found[0]


def parse_manifest(document: dict[str, Any], source: str) -> NetworkAssertion:
    """Validate a NetworkAssertion document."""
    from netchecks_core.assertion import NetworkAssertion  # only manifests need it

    try:
        return NetworkAssertion.model_validate(document)
    except ValidationError as error:
        raise InputError(f"{_name(source)}: " + "; ".join(describe_errors(error))) from None


def config_from_manifest(
    source: str, context_dirs: Mapping[str, str], secret_dirs: Mapping[str, str]
) -> ProbeConfig:
    """The probe config that runs a manifest's rules, with its contexts' files where given."""
    from netchecks_core.convert import probe_config_from_spec

    assertion = parse_manifest(load_manifest_document(source), source)
    kinds = {
        c.name: ("configMap" if c.configMap else "secret" if c.secret else "inline")
        for c in assertion.spec.context
    }
    paths: dict[str, str] = {}
    for option, given, kind in (
        ("--context-dir", context_dirs, "configMap"),
        ("--secret-dir", secret_dirs, "secret"),
    ):
        for name, path in given.items():
            if kinds.get(name) != kind:
                what = (
                    f"is a {kinds[name]} context"
                    if name in kinds
                    else "is not a context of the assertion"
                )
                raise InputError(f"{option} {name}=...: {name!r} {what}")
            paths[name] = path
    for context in assertion.spec.context:
        if context.inline is None and context.name not in paths:
            source_name = (context.configMap or context.secret).name  # type: ignore[union-attr]
            option = "--context-dir" if context.configMap else "--secret-dir"
            raise InputError(
                f"context {context.name!r} comes from {kinds[context.name]} {source_name!r}: "
                f"give its files with {option} {context.name}=PATH"
            )
    return parse_config(probe_config_from_spec(assertion.spec, paths), source)


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


def _yaml_problem(error: Any) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())
