"""Typed settings for a kubesim instance, built once and passed down."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: A container run inside kubesim's own process: (argv, env) -> (exit code, output).
#: The output is the container's merged stdout and stderr.
InProcess = Callable[[Sequence[str], Mapping[str, str]], tuple[int, bytes]]


@dataclass(frozen=True)
class ImageMapping:
    """Maps container images to a way of running them as local processes.

    ``match`` is an fnmatch pattern tested against the image repository (the image
    reference without tag or digest, registry included). A bare command (no ``/``) is
    looked up in ``bin_dir`` first (when set), then on ``PATH``. ``entrypoint`` stands
    in for the image's ENTRYPOINT when a container sets no ``command``.

    With ``in_process`` a container of the image is that function, called on the pod's
    thread instead of a forked process (thousands of short runs without fork/exec): it gets
    the argv and env the process would get (volume paths mapped onto the host) and its
    exit code and output become the container's status and log.
    """

    match: str
    bin_dir: Path | None = None
    entrypoint: tuple[str, ...] = ()
    in_process: InProcess | None = None


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def default_images() -> tuple[ImageMapping, ...]:
    """The netchecks probe image runs from the Python environment kubesim runs in."""
    return (
        ImageMapping("netchecks-probe", _venv_bin(), ("netchecks",)),
        ImageMapping("*/netchecks-probe", _venv_bin(), ("netchecks",)),
    )


@dataclass(frozen=True)
class Settings:
    """Behaviour knobs; the defaults favour fast tests over real-cluster timings."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str = "kubesim-token"
    #: Watch events kept for resumption; older resourceVersions get 410 Expired.
    history_size: int = 100_000
    #: Seconds between BOOKMARK events on watches that allow them (real: 60).
    bookmark_interval: float = 1.0
    #: Server-side cap on a watch without timeoutSeconds (real: 30-60 minutes).
    max_watch_seconds: float = 1800.0
    #: Seconds before a new CRD becomes Established (404 on its paths until then).
    crd_establish_delay: float = 0.0
    #: Job pod re-creation back-off base in seconds (real: 10, doubling, max 360).
    job_backoff_base: float = 0.0
    job_backoff_max: float = 360.0
    #: Container restart back-off base for OnFailure/Always pods (real: 10).
    container_backoff_base: float = 0.2
    #: Delays added before controllers act, to exercise slow-cluster races.
    gc_delay: float = 0.0
    job_controller_delay: float = 0.0
    kubelet_delay: float = 0.0
    #: Run the controllers at all (an API-only server is handy for unit tests).
    controllers: bool = True
    images: tuple[ImageMapping, ...] = field(default_factory=default_images)
    #: Where pod volumes, working directories and logs live (a temp dir when None).
    work_dir: Path | None = None
    #: The Node registered at start (more may be created through the API).
    node_name: str = "kubesim-node"
    #: Seconds a Pod bound to a missing Node waits before the pod GC fails and deletes it
    #: (real: 40).
    podgc_quarantine: float = 0.2
    #: How containers see their volumeMounts: "namespace" bind-mounts each volume at its
    #: mountPath in a private mount namespace (needs root + ``unshare``; mount points are
    #: created on the host as empty directories); "rewrite" maps paths in args and env
    #: values onto the host directories; "auto" picks "namespace" when it works.
    mount_mode: str = "auto"
    #: Authorize every request with RBAC (Roles, ClusterRoles, bindings; see rbac.py);
    #: off: everyone may do everything.
    rbac: bool = False
    #: Also serve Deployments, Services, PodDisruptionBudgets and NetworkPolicies as stored
    #: objects (no controllers), so Helm charts install (see workloads.py).
    workloads: bool = False
    #: Largest write request body read (kube-apiserver: 3 MiB); more gives 413.
    max_request_body_bytes: int = 3 * 1024 * 1024
    #: Largest object etcd stores (its --max-request-bytes default, 1.5 MiB); more
    #: gives the 500 ``etcdserver: request is too large``.
    etcd_max_request_bytes: int = 1572864
    #: How containers' ``resources.limits.memory`` is enforced (see oom.py): "cgroup"
    #: (a memory cgroup per container run), "rss" (a /proc watcher that SIGKILLs), or
    #: "auto": "cgroup" when kubesim can create one, else "rss".
    memory_enforcement: str = "auto"
    #: Requests kept by ``sim.requests`` (the request log; oldest dropped first).
    request_log_size: int = 10_000
    #: The kubelet's containerLogMaxSize (10Mi): a container log larger than this is
    #: rotated, and ``pods/log`` serves only the current file.
    container_log_max_size: int = 10 * 1024 * 1024
