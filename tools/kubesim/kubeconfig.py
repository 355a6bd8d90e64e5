"""Writing the kubeconfig that real clients and processes use to reach kubesim."""

from __future__ import annotations

from pathlib import Path

import yaml


def render(server: str, token: str, namespace: str = "default") -> str:
    """A minimal kubeconfig: one cluster (plain http), one token user, one context."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kubesim", "cluster": {"server": server}}],
        "users": [{"name": "kubesim", "user": {"token": token}}],
        "contexts": [
            {
                "name": "kubesim",
                "context": {"cluster": "kubesim", "user": "kubesim", "namespace": namespace},
            }
        ],
        "current-context": "kubesim",
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write(path: Path, server: str, token: str) -> Path:
    """Write atomically (a reader never sees a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(server, token))
    tmp.replace(path)
    return path
