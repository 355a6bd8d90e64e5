"""How the kubelet starts a container process: image mapping, mounts, command, env.

Pure helpers and the env resolution (``env``, ``envFrom``, ``valueFrom``) that
:mod:`tools.kubesim.kubelet` uses for each container run.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .settings import ImageMapping
from .volumes import Mount, PathMap

if TYPE_CHECKING:
    from .api import Api

Obj = dict[str, Any]


def image_repository(image: str) -> str:
    """``registry/repo:tag@digest`` -> ``registry/repo``."""
    repo = image.split("@", 1)[0]
    head, _, last = repo.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


MOUNT_SCRIPT = (
    'while [ "$1" != "--" ]; do '
    'if [ -d "$1" ]; then mkdir -p "$2"; else mkdir -p "$(dirname "$2")"; touch "$2"; fi; '
    'mount --bind "$1" "$2"; '
    'if [ "$3" = ro ]; then mount -o remount,bind,ro "$2"; fi; '
    'shift 3; done; shift; exec "$@"'
)


def namespace_mounts(mounts: list[Mount], keep_visible: list[Path]) -> list[Mount]:
    """The mounts to bind in a container's mount namespace, parents before children.

    A mount over a directory that holds what the container process runs from (the
    Python environment, kubesim's own work directory) would hide it: a probe Pod's
    ``emptyDir`` at ``/tmp`` would hide a checkout under ``/tmp``. Such a mount is
    left out, and the host directory stays visible in its place.
    """
    kept = [m for m in mounts if not any(_covers(m.container_path, path) for path in keep_visible)]
    return sorted(kept, key=lambda m: len(m.container_path.rstrip("/")))


def _covers(container_path: str, host_path: Path) -> bool:
    top = Path(container_path)
    return host_path == top or top in host_path.parents


@functools.cache
def namespaces_available() -> bool:
    """Can this process make private mount namespaces (root + util-linux unshare)?"""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return False
    try:
        done = subprocess.run(
            [unshare, "--mount", "--propagation", "private", "true"],
            check=False,
            capture_output=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def effective_mount_mode(setting: str) -> str:
    """The mount mode in effect for a ``Settings.mount_mode``."""
    if setting == "auto":
        return "namespace" if namespaces_available() else "rewrite"
    return setting


def find_mapping(images: tuple[ImageMapping, ...], image: str) -> ImageMapping | None:
    """The first mapping whose pattern matches the image's repository."""
    repo = image_repository(image)
    return next((m for m in images if fnmatch.fnmatchcase(repo, m.match)), None)


def resolve_command(
    command: str, mapping: ImageMapping, path: str, isolated: PathMap | None
) -> str | None:
    """The executable a container's ``command[0]`` runs (None: not found)."""
    if "/" in command:
        host = isolated.host(command) if isolated is not None else None
        return command if Path(host or command).exists() else None
    if mapping.bin_dir is not None:
        candidate = mapping.bin_dir / command
        if candidate.exists():
            return str(candidate)
    return shutil.which(command, path=path)


def expand(value: str, env: dict[str, str]) -> str:
    """``$(VAR)`` references to earlier variables, as the kubelet expands them."""
    return re.sub(
        r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), value
    )


class EnvResolver:
    """A container's ``envFrom`` and ``env`` (values, ConfigMap/Secret keys, fieldRefs)."""

    def __init__(self, api: Api, pod: Obj, node_name: str) -> None:
        self.api = api
        self.pod = pod
        self.namespace = pod["metadata"]["namespace"]
        self.node_name = node_name

    def apply(self, c: Obj, env: dict[str, str], paths: PathMap, rewrite: bool) -> None:
        """Add the container's variables to ``env`` (later ones may use earlier ones)."""
        for source in c.get("envFrom") or []:
            prefix = source.get("prefix", "")
            obj = self._ref_obj(source.get("configMapRef"), source.get("secretRef"))
            env.update({prefix + k: v for k, v in obj.items()})
        for item in c.get("env") or []:
            value = item.get("value")
            if value is None and item.get("valueFrom"):
                value = self._value_from(item["valueFrom"])
            if value is not None:
                value = expand(value, env)
                env[item["name"]] = paths.rewrite(value) if rewrite else value

    def _ref_obj(self, cm: Obj | None, secret: Obj | None) -> dict[str, str]:
        if cm:
            obj = self.api.find(
                self.api.resource("", "v1", "configmaps"), self.namespace, cm["name"]
            )
            return dict((obj or {}).get("data") or {})
        if secret:
            obj = self.api.find(
                self.api.resource("", "v1", "secrets"), self.namespace, secret["name"]
            )
            return {
                k: base64.b64decode(v).decode(errors="replace")
                for k, v in ((obj or {}).get("data") or {}).items()
            }
        return {}

    def _value_from(self, source: Obj) -> str | None:
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            return self._ref_obj(ref, None).get(ref["key"])
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            return self._ref_obj(None, ref).get(ref["key"])
        if "fieldRef" in source:
            field = source["fieldRef"]["fieldPath"]
            m = self.pod["metadata"]
            values = {
                "metadata.name": m["name"],
                "metadata.namespace": m["namespace"],
                "metadata.uid": m["uid"],
                "spec.nodeName": self.node_name,
                "spec.serviceAccountName": self.pod["spec"].get("serviceAccountName", "default"),
                "status.podIP": "127.0.0.1",
                "status.hostIP": "127.0.0.1",
            }
            if field.startswith("metadata.labels['"):
                return str((m.get("labels") or {}).get(field[17:-2], ""))
            if field.startswith("metadata.annotations['"):
                return str((m.get("annotations") or {}).get(field[22:-2], ""))
            return values.get(field)
        return None
