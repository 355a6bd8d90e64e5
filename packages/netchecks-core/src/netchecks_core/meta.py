"""Read an API object's metadata safely: a missing or null ``metadata`` reads as empty."""

from __future__ import annotations

from typing import Any


def metadata_of(obj: dict[str, Any] | None) -> dict[str, Any]:
    """``obj.metadata``, or ``{}`` when ``obj`` or its metadata is absent or null."""
    meta = (obj or {}).get("metadata")
    return meta if isinstance(meta, dict) else {}


def labels_of(obj: dict[str, Any] | None) -> dict[str, Any]:
    """``obj.metadata.labels``, or ``{}``."""
    value = metadata_of(obj).get("labels")
    return value if isinstance(value, dict) else {}


def annotations_of(obj: dict[str, Any] | None) -> dict[str, Any]:
    """``obj.metadata.annotations``, or ``{}``."""
    value = metadata_of(obj).get("annotations")
    return value if isinstance(value, dict) else {}
