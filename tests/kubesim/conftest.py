"""kubesim's own tests: the plugin's fixtures, plus the official client's API groups."""

from __future__ import annotations

import pytest
from kubernetes import client

from tools.kubesim.pytest_plugin import (  # noqa: F401
    kube_api,
    kube_faults,
    kube_namespace,
    kube_requests,
    kubeconfig,
    kubesim,
    make_kubesim,
)


@pytest.fixture
def core(kube_api: client.ApiClient) -> client.CoreV1Api:  # noqa: F811 - the fixture
    return client.CoreV1Api(kube_api)


@pytest.fixture
def batch(kube_api: client.ApiClient) -> client.BatchV1Api:  # noqa: F811 - the fixture
    return client.BatchV1Api(kube_api)


@pytest.fixture
def crds(kube_api: client.ApiClient) -> client.ApiextensionsV1Api:  # noqa: F811 - the fixture
    return client.ApiextensionsV1Api(kube_api)


@pytest.fixture
def custom(kube_api: client.ApiClient) -> client.CustomObjectsApi:  # noqa: F811 - the fixture
    return client.CustomObjectsApi(kube_api)
