"""KubeSim: the assembled control plane (API server, controllers, kubelet, faults)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .admission_policy import POLICY_TYPES
from .api import Api
from .auth import AllowAll, Authenticator, Authorizer, TokenAuthenticator, User
from .clock import Clock
from .faults import Faults
from .kubeconfig import write as write_kubeconfig
from .nodes import default_node
from .requestlog import RequestLog
from .resources import Registry
from .reviews import REVIEW_TYPES
from .server import SimHTTPServer
from .settings import Settings
from .storage import Store
from .watch import Watcher

log = logging.getLogger(__name__)
Obj = dict[str, Any]

BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeSim:
    """A simulated Kubernetes control plane served on 127.0.0.1.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        from .controllers import Controllers
        from .kubelet import Kubelet

        self.settings = settings or Settings()
        self.clock = Clock()
        self.registry = Registry()
        self.store = Store(self.settings.history_size)
        self.api = Api(self.settings, self.registry, self.store, self.clock)
        self.faults = Faults(self)
        #: Every resource request the HTTP server received, in order (see requestlog.py).
        self.requests = RequestLog(self.settings.request_log_size)
        self.authenticator: Authenticator = TokenAuthenticator(
            {self.settings.token: User("kubesim-admin", ("system:masters", "system:authenticated"))}
        )
        self.authorizer: Authorizer = AllowAll()
        for rt in (*REVIEW_TYPES, *POLICY_TYPES):
            self.registry.add(rt)
        if self.settings.rbac:
            from .rbac import enable_rbac

            enable_rbac(self)
        if self.settings.workloads:
            from .workloads import enable_workloads

            enable_workloads(self)
        self._own_work_dir = self.settings.work_dir is None
        self.work_dir = Path(self.settings.work_dir or tempfile.mkdtemp(prefix="kubesim-"))
        self.kubelet = Kubelet(self.api, self.settings, self.clock, self.work_dir, self.faults)
        self.controllers = Controllers(self.api, self.settings, self.clock, self.kubelet)
        self._http: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._watchers: set[Watcher] = set()
        self._watch_lock = threading.Lock()
        self.port = self.settings.port
        self._bootstrap()

    # -- lifecycle -------------------------------------------------------------------

    def _bootstrap(self) -> None:
        ns_rt = self.api.resource("", "v1", "namespaces")
        for name in BOOTSTRAP_NAMESPACES:
            self.api.create(ns_rt, None, {"metadata": {"name": name}})
        node_rt = self.api.resource("", "v1", "nodes")
        self.api.create(node_rt, None, default_node(self.settings.node_name, self.api.now()))

    def start(self) -> KubeSim:
        self._serve()
        self.kubelet.kubeconfig = self.write_kubeconfig(self.work_dir / "kubeconfig")
        if self.settings.controllers:
            self.controllers.start()
        return self

    def _serve(self) -> None:
        self._http = SimHTTPServer((self.settings.host, self.port), self)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            name="kubesim-http",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()

    def _stop_http(self) -> None:
        if self._http is None:
            return
        self.close_watches()
        deadline = time.monotonic() + 1.0
        while self.open_watches and time.monotonic() < deadline:
            time.sleep(0.01)
        self._http.shutdown()
        self._http.cut_connections()
        self._http.server_close()
        self._http = None

    def stop(self) -> None:
        """Stop serving, stop the controllers, kill pod processes, remove temp files."""
        self._stop_http()
        self.controllers.stop()
        self.kubelet.stop()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def restart(self, downtime: float = 0.0) -> None:
        """Drop every connection and serve again on the same port, keeping state."""
        self._stop_http()
        if downtime:
            time.sleep(downtime)
        for _ in range(50):
            try:
                self._serve()
                return
            except OSError:
                time.sleep(0.05)
        self._serve()

    def __enter__(self) -> KubeSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def write_kubeconfig(self, path: Path) -> Path:
        return write_kubeconfig(path, self.url, self.settings.token)

    def client(self) -> Any:
        """An official-client ``ApiClient`` bound to this server, as its admin (no proxy)."""
        from kubernetes import client

        config = client.Configuration()
        config.host = self.url
        config.proxy = None
        config.api_key = {"authorization": f"Bearer {self.settings.token}"}
        return client.ApiClient(config)

    # -- watches ---------------------------------------------------------------------

    def register_watch(self, watcher: Watcher) -> None:
        with self._watch_lock:
            self._watchers.add(watcher)

    def unregister_watch(self, watcher: Watcher) -> None:
        with self._watch_lock:
            self._watchers.discard(watcher)

    def close_watches(self) -> int:
        with self._watch_lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher.close()
        return len(watchers)

    @property
    def open_watches(self) -> int:
        with self._watch_lock:
            return len(self._watchers)
