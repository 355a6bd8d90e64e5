"""The probe Pod template (pure): locked-down defaults, the assertion's overrides merged in.

``spec.template`` may override any field of the Pod template, merged the way
Kubernetes merges a strategic merge patch: maps recursively, lists of objects by
their merge key (containers by ``name``, volume mounts by ``mountPath``, ...),
other lists replaced, ``null`` removes a field. The probe container's command,
its config volume and mount, and the identity labels are applied last, so no
override can take them away.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from netchecks_core import naming
from netchecks_core.assertion import AssertionContext
from netchecks_core.convert import context_mount_path

from netchecks_operator import __version__
from netchecks_operator.errors import PodTemplateError

#: Named as 0.10 named it, so 0.10 ``spec.template`` overrides of it merge into it.
PROBE_CONTAINER = "netcheck"
CONFIG_VOLUME = "netchecks-config"
CONFIG_DIR = "/netcheck"
CONFIG_KEY = "config.json"
CONFIG_PATH = f"{CONFIG_DIR}/{CONFIG_KEY}"
TMP_VOLUME = "tmp"
#: The probe's scratch space: an emptyDir, since the root filesystem is read-only.
TMP_DIR = "/tmp"  # noqa: S108

#: Merge keys of lists in a Pod template (from the Kubernetes OpenAPI patch metadata).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
}


def strategic_merge(base: Any, override: Any, field: str = "") -> Any:
    """Merge ``override`` into ``base`` as a Kubernetes strategic merge patch would."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    key = MERGE_KEYS.get(field)
    if key and isinstance(base, list) and isinstance(override, list):
        merged_list = [copy.deepcopy(item) for item in base]
        for item in override:
            if not isinstance(item, dict) or key not in item:
                merged_list.append(copy.deepcopy(item))
                continue
            for index, existing in enumerate(merged_list):
                if isinstance(existing, dict) and existing.get(key) == item[key]:
                    merged_list[index] = strategic_merge(existing, item)
                    break
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(override)


def context_volume_name(context_name: str) -> str:
    """A valid volume name (DNS label) for a context; context names may hold ``_``."""
    clean = re.sub(r"[^a-z0-9-]", "-", context_name.lower()).strip("-") or "x"
    if clean != context_name:
        clean = f"{clean[:40]}-{naming.name_hash(context_name, 6)}"
    return naming.fit_name(f"ctx-{clean}", "", naming.MAX_LABEL_VALUE)


def _context_volume(context: AssertionContext) -> dict[str, Any] | None:
    source = context.config_map or context.secret
    if source is None:
        return None
    spec: dict[str, Any] = {}
    if source.items:
        spec["items"] = [item.model_dump(exclude_none=True) for item in source.items]
    if source.optional is not None:
        spec["optional"] = source.optional
    if source.default_mode is not None:
        spec["defaultMode"] = source.default_mode
    volume: dict[str, Any] = {"name": context_volume_name(context.name)}
    if context.config_map is not None:
        volume["configMap"] = {"name": context.source_name(), **spec}
    else:
        volume["secret"] = {"secretName": context.source_name(), **spec}
    return volume


def probe_command(disable_redaction: bool, run_timeout: int) -> list[str]:
    """The probe container's command; ``run_timeout`` is the run's deadline in seconds."""
    command = ["netchecks", "run", "--config", CONFIG_PATH, "--exit-zero"]
    command += ["--run-timeout", str(run_timeout)]
    if disable_redaction:
        command.append("--disable-redaction")
    return command


def pod_template(
    *,
    assertion_name: str,
    assertion_uid: str,
    generation: int,
    configmap: str,
    contexts: list[AssertionContext],
    overrides: dict[str, Any] | None,
    image: str,
    pull_policy: str,
    resources: dict[str, Any],
    disable_redaction: bool,
    run_timeout: int,
    defaults: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The probe Pod template of an assertion. Raises :class:`PodTemplateError` on bad overrides.

    ``run_timeout`` (seconds) is the probe's ``--run-timeout``. ``defaults`` (the
    operator's probe Pod defaults) merge over the locked-down base and under the
    assertion's ``overrides``.
    """
    command = probe_command(disable_redaction, run_timeout)
    container = _probe_container(image, pull_policy, resources, command, _probe_mounts(contexts))
    config_volume = {
        "name": CONFIG_VOLUME,
        "configMap": {"name": configmap, "items": [{"key": CONFIG_KEY, "path": CONFIG_KEY}]},
    }
    context_volumes = [v for v in (_context_volume(c) for c in contexts) if v is not None]
    base = _base_template(container, [config_volume, *context_volumes])
    merged = strategic_merge(base, defaults) if defaults else base
    if overrides:
        merged = _merge_overrides(merged, overrides)
    _lock(merged, assertion_name, assertion_uid, generation, config_volume, command)
    return merged


def _probe_mounts(contexts: list[AssertionContext]) -> list[dict[str, Any]]:
    """The probe's mounts: its config, a scratch directory, each mounted context."""
    mounts: list[dict[str, Any]] = [
        {"name": CONFIG_VOLUME, "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": TMP_VOLUME, "mountPath": TMP_DIR},
    ]
    for context in contexts:
        if context.config_map is not None or context.secret is not None:
            mounts.append(
                {
                    "name": context_volume_name(context.name),
                    "mountPath": context_mount_path(context.name),
                    "readOnly": True,
                }
            )
    return mounts


def _probe_container(
    image: str,
    pull_policy: str,
    resources: dict[str, Any],
    command: list[str],
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    """The locked-down probe container."""
    return {
        "name": PROBE_CONTAINER,
        "image": image,
        "imagePullPolicy": pull_policy,
        "command": command,
        "resources": copy.deepcopy(resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }


def _base_template(container: dict[str, Any], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    """The locked-down Pod template: ``volumes`` (config first, contexts) and a scratch dir."""
    config_volume, *context_volumes = volumes
    return {
        "metadata": {"labels": {}, "annotations": {}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65532,
                "runAsGroup": 65532,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": [
                config_volume,
                {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}},
                *context_volumes,
            ],
        },
    }


def _merge_overrides(merged: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The assertion's ``spec.template`` merged over ``merged``; refuses what is no template."""
    unknown = sorted(set(overrides) - {"metadata", "spec"})
    if unknown:
        raise PodTemplateError(
            f"spec.template: unknown field(s) {', '.join(unknown)} "
            "(a Pod template has metadata and spec)"
        )
    for part in ("metadata", "spec"):
        if part in overrides and not isinstance(overrides[part], dict | type(None)):
            raise PodTemplateError(f"spec.template.{part}: must be an object")
    merged = strategic_merge(merged, overrides)
    asks_for_account = bool((overrides.get("spec") or {}).get("serviceAccountName"))
    if asks_for_account and "automountServiceAccountToken" not in (overrides.get("spec") or {}):
        merged["spec"]["automountServiceAccountToken"] = True
    return merged


def _lock(
    template: dict[str, Any],
    assertion_name: str,
    assertion_uid: str,
    generation: int,
    config_volume: dict[str, Any],
    command: list[str],
) -> None:
    metadata = template.setdefault("metadata", {})
    metadata["labels"] = {
        **_mapping(metadata.get("labels"), "spec.template.metadata.labels"),
        **naming.probe_pod_labels(assertion_uid),
        # As 0.10 labelled its probe Pods (dashboards and NetworkPolicies select them).
        naming.LABEL_INSTANCE: naming.instance_label(assertion_name),
        naming.LABEL_VERSION: naming.version_label(__version__),
    }
    metadata["annotations"] = {
        **_mapping(metadata.get("annotations"), "spec.template.metadata.annotations"),
        **naming.child_annotations(assertion_name, generation),
    }
    spec = template.setdefault("spec", {})
    spec["restartPolicy"] = "Never"
    containers = spec.get("containers")
    if not isinstance(containers, list):
        raise PodTemplateError("spec.template.spec.containers: must be a list")
    probe = next(
        (c for c in containers if isinstance(c, dict) and c.get("name") == PROBE_CONTAINER), None
    )
    if probe is None:  # pragma: no cover - the base always has it and merges keep it
        raise PodTemplateError("the probe container is missing")
    probe["command"] = list(command)
    probe.pop("args", None)
    where = f"spec.template.spec.containers[{PROBE_CONTAINER}].volumeMounts"
    mounts = [
        m for m in _objects(probe.get("volumeMounts"), where) if m.get("mountPath") != CONFIG_DIR
    ]
    probe["volumeMounts"] = [
        {"name": CONFIG_VOLUME, "mountPath": CONFIG_DIR, "readOnly": True},
        *[m for m in mounts if m.get("name") != CONFIG_VOLUME],
    ]
    volumes = [
        v
        for v in _objects(spec.get("volumes"), "spec.template.spec.volumes")
        if v.get("name") != CONFIG_VOLUME
    ]
    spec["volumes"] = [copy.deepcopy(config_volume), *volumes]


# The API server does not check spec.template (it is free-form in the CRD): a field of
# the wrong shape must be an InvalidSpec, not a crash of every reconcile.


def _mapping(value: Any, where: str) -> dict[str, Any]:
    """``value`` (unset or empty: ``{}``) when it is an object; else :class:`PodTemplateError`."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise PodTemplateError(f"{where}: must be an object")
    return value


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    """``value`` (unset or empty: ``[]``) when it is a list of objects; else
    :class:`PodTemplateError`."""
    if not value:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PodTemplateError(f"{where}: must be a list of objects")
    return value
