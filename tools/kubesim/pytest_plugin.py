"""pytest fixtures for kubesim, usable from any conftest::

    pytest_plugins = ["tools.kubesim.pytest_plugin"]      # root conftest, or
    from tools.kubesim.pytest_plugin import *  # noqa: F403  (any conftest)

Fixtures:
    kubesim          a running KubeSim shared by the session
    kubeconfig       path of a kubeconfig file for it (also exported as KUBECONFIG)
    kube_api         a ``kubernetes.client.ApiClient`` for it
    kube_namespace   a fresh namespace per test (deleted afterwards)
    kube_faults      ``kubesim.faults``, cleared after the test
    kube_requests    ``kubesim.requests`` (the request log), cleared before and after the test
    make_kubesim     factory for a private KubeSim with custom Settings
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .api import DeleteOptions
from .faults import Faults
from .requestlog import RequestLog
from .settings import ImageMapping, Settings, default_images
from .sim import KubeSim

__all__ = [
    "exported_kubeconfig",
    "kube_api",
    "kube_faults",
    "kube_namespace",
    "kube_requests",
    "kubeconfig",
    "kubesim",
    "make_kubesim",
    "test_settings",
]


def test_settings(**overrides: Any) -> Settings:
    """Settings for tests: the default probe mapping plus ``python`` (this interpreter's
    environment) and ``busybox`` (host tools such as ``sh``, ``echo``, ``sleep``)."""
    venv_bin = Path(sys.executable).parent
    images = (
        *default_images(),
        ImageMapping("python", venv_bin, ("python",)),
        ImageMapping("*/python", venv_bin, ("python",)),
        ImageMapping("busybox", None, ("sh",)),
        ImageMapping("*/busybox", None, ("sh",)),
    )
    return Settings(**{"images": images, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def kubesim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeSim]:
    """A running kubesim shared by the whole session."""
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    sim = KubeSim(test_settings(work_dir=tmp_path_factory.mktemp("kubesim"))).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def kubeconfig(kubesim: KubeSim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A kubeconfig for the session's kubesim, exported as ``KUBECONFIG``."""
    path = kubesim.write_kubeconfig(tmp_path_factory.mktemp("kubeconfig") / "config")
    with exported_kubeconfig(path):
        yield path


@contextlib.contextmanager
def exported_kubeconfig(path: Path) -> Iterator[None]:
    """``KUBECONFIG=path`` inside, as it was before afterwards."""
    previous = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = previous


@pytest.fixture(scope="session")
def kube_api(kubeconfig: Path) -> Iterator[Any]:
    """An official-client ``ApiClient`` bound to kubesim (no global config touched)."""
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(kubeconfig))
    client.configuration.proxy = None
    yield client
    client.close()


@pytest.fixture
def kube_namespace(kubesim: KubeSim, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted (with its content) afterwards."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{secrets.token_hex(3)}"
    ns_rt = kubesim.api.resource("", "v1", "namespaces")
    kubesim.api.create(ns_rt, None, {"metadata": {"name": name}})
    yield name
    with contextlib.suppress(Exception):
        kubesim.api.delete(ns_rt, None, name, DeleteOptions())


@pytest.fixture
def kube_faults(kubesim: KubeSim) -> Iterator[Faults]:
    """The session kubesim's fault injector; every injected fault is cleared afterwards."""
    yield kubesim.faults
    kubesim.faults.clear()


@pytest.fixture
def kube_requests(kubesim: KubeSim) -> Iterator[RequestLog]:
    """The session kubesim's request log, empty at the start of the test and cleared after."""
    kubesim.requests.clear()
    yield kubesim.requests
    kubesim.requests.clear()


@pytest.fixture
def make_kubesim(tmp_path: Path) -> Iterator[Callable[..., KubeSim]]:
    """Start private kubesim instances: ``make_kubesim(history_size=10)``."""
    started: list[KubeSim] = []

    def make(**overrides: Any) -> KubeSim:
        overrides.setdefault("work_dir", tmp_path / f"sim{len(started)}")
        sim = KubeSim(test_settings(**overrides)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()
