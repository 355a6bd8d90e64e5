"""The probe output document as the probe writes it: plain dicts, without pydantic.

:mod:`netchecks_core.probe_output` holds its models, which readers (the results
service) validate it with; the tests hold what is written here to them.
"""

from __future__ import annotations

from typing import Any, Final

OUTPUT_TYPE: Final = "netcheck-output"
OUTPUT_VERSION = "v1"
#: A rule's verdicts in the probe output.
RULE_STATUSES = ("pass", "fail", "error")
_RESULT_FIELDS = ("name", "spec", "data", "status", "message")


def result_entry(result: dict[str, Any]) -> dict[str, Any]:
    """One rule's result as written: its fields in order, extras after, nulls left out.

    Raises:
        ValueError: a status that is not a verdict; TypeError: a spec or data that is not
            an object, a name or message that is not a string. A bug of the caller, never
            written.
    """
    if result.get("status") not in RULE_STATUSES:
        raise ValueError(
            f"a result's status must be one of {RULE_STATUSES}: {result.get('status')!r}"
        )
    entry: dict[str, Any] = {}
    for key in (*_RESULT_FIELDS, *result):
        value = result.get(key, {} if key in ("spec", "data") else None)
        if value is not None:
            entry[key] = value
    for key in ("spec", "data"):
        if not isinstance(entry[key], dict):
            raise TypeError(f"a result's {key} must be an object, got {type(entry[key]).__name__}")
    for key in ("name", "message"):
        if not isinstance(entry.get(key, ""), str):
            raise TypeError(f"a result's {key} must be a string, got {type(entry[key]).__name__}")
    return entry


def output_document(
    created: str, version: str, assertions: list[tuple[str, list[dict[str, Any]]]]
) -> dict[str, Any]:
    """The whole document: ``assertions`` are (name, results) in config order."""
    return {
        "type": OUTPUT_TYPE,
        "outputVersion": OUTPUT_VERSION,
        "metadata": {"creationTimestamp": created, "version": version},
        "assertions": [
            {"name": name, "results": [result_entry(result) for result in results]}
            for name, results in assertions
        ],
    }
