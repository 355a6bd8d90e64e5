"""Materialising Pod volumes on disk and mapping container paths onto them.

ConfigMap and Secret volumes get the kubelet's atomic-writer layout: the files live
in a ``..<timestamp>`` directory, ``..data`` links to it, and each top-level entry is
a symlink through ``..data``.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Obj = dict[str, Any]


class VolumeNotReadyError(Exception):
    """A referenced ConfigMap or Secret (or key) is missing and not optional."""


def _files_from(
    data: dict[str, bytes], items: list[Obj] | None, optional: bool, what: str
) -> dict[str, tuple[bytes, int | None]]:
    if items is None:
        return {key: (value, None) for key, value in data.items()}
    out: dict[str, tuple[bytes, int | None]] = {}
    for item in items:
        if item["key"] not in data:
            if optional:
                continue
            raise VolumeNotReadyError(
                f"configmap references non-existent config key: {item['key']}"
                if what == "configmap"
                else f"references non-existent secret key: {item['key']}"
            )
        out[item["path"]] = (data[item["key"]], item.get("mode"))
    return out


def write_atomic_dir(
    target: Path, files: dict[str, tuple[bytes, int | None]], default_mode: int
) -> None:
    """Write ``files`` into ``target`` with the ``..data`` symlink layout."""
    target.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.") + f"{time.monotonic_ns() % 10**9:09d}"
    real = target / stamp
    real.mkdir()
    for rel, (content, mode) in files.items():
        path = real / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(mode if mode is not None else default_mode)
    link = target / "..data"
    tmp_link = target / "..data_tmp"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(stamp)
    old = os.readlink(link) if link.is_symlink() else None
    tmp_link.replace(link)
    for top in {rel.split("/", 1)[0] for rel in files}:
        entry = target / top
        if not entry.is_symlink():
            entry.symlink_to(Path("..data") / top)
    if old:
        shutil.rmtree(target / old, ignore_errors=True)


@dataclass
class Mount:
    """One container mount: the path the container sees and the host path behind it."""

    container_path: str
    host_path: Path
    read_only: bool = False


def materialise(volume: Obj, root: Path, lookup: Any) -> Path:
    """Create one volume under ``root``; ``lookup(kind, name)`` returns the object or None."""
    target: Path = root / str(volume["name"])
    if "emptyDir" in volume:
        target.mkdir(parents=True, exist_ok=True)
        return target
    for kind, source_key, name_key in (
        ("configmap", "configMap", "name"),
        ("secret", "secret", "secretName"),
    ):
        if source_key in volume:
            src = volume[source_key]
            obj = lookup(kind, src.get(name_key, ""))
            optional = bool(src.get("optional"))
            if obj is None and not optional:
                raise VolumeNotReadyError(f'{kind} "{src.get(name_key, "")}" not found')
            data = _data(kind, obj)
            files = _files_from(data, src.get("items"), optional, kind)
            write_atomic_dir(target, files, int(src.get("defaultMode", 0o644)))
            return target
    if "projected" in volume:
        projected: dict[str, tuple[bytes, int | None]] = {}
        for source in volume["projected"].get("sources") or []:
            for kind, key in (("configmap", "configMap"), ("secret", "secret")):
                if key in source:
                    src = source[key]
                    obj = lookup(kind, src.get("name", ""))
                    if obj is None and not src.get("optional"):
                        raise VolumeNotReadyError(f'{kind} "{src.get("name", "")}" not found')
                    projected.update(
                        _files_from(
                            _data(kind, obj), src.get("items"), bool(src.get("optional")), kind
                        )
                    )
        write_atomic_dir(target, projected, int(volume["projected"].get("defaultMode", 0o644)))
        return target
    # Unsupported sources (hostPath, PVCs, ...) become empty directories.
    target.mkdir(parents=True, exist_ok=True)
    return target


def _data(kind: str, obj: Obj | None) -> dict[str, bytes]:
    if obj is None:
        return {}
    if kind == "secret":
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    out = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    return out


class PathMap:
    """Rewrites container paths (under a mount path) to host paths."""

    def __init__(self, mounts: list[Mount]) -> None:
        self.mounts = sorted(mounts, key=lambda m: len(m.container_path), reverse=True)

    def host(self, path: str) -> str | None:
        for mount in self.mounts:
            cp = mount.container_path.rstrip("/") or "/"
            if path == cp:
                return str(mount.host_path)
            if path.startswith(cp + "/"):
                return str(mount.host_path) + path[len(cp) :]
        return None

    def rewrite(self, value: str) -> str:
        """An argument or env value: ``/mnt/x/f`` or ``--flag=/mnt/x/f`` is mapped."""
        mapped = self.host(value)
        if mapped is not None:
            return mapped
        if "=" in value:
            head, _, tail = value.partition("=")
            mapped = self.host(tail)
            if mapped is not None:
                return f"{head}={mapped}"
        return value

    def as_env(self) -> str:
        import json

        return json.dumps({m.container_path: str(m.host_path) for m in self.mounts})
