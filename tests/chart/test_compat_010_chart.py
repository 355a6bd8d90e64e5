"""Chart values Netchecks 0.10 users set (issue 14): probe affinity and image digests."""

from __future__ import annotations

import re
from typing import Any

import helm_python as helm
import pytest
from netchecks_operator.settings import OperatorSettings
from netchecks_service.settings import load_settings

from tests.chart.helm import find, objects, one

DIGEST = "sha256:" + "ab" * 32
#: An image reference: name, then ``:tag`` or ``@sha256:<64 hex>`` (never both ``:`` forms).
REFERENCE = re.compile(r"^[a-z0-9./_:-]+?(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$")
AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["probes"]}]}
            ]
        }
    }
}


def _operator_settings(objs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in one(objs, "ConfigMap", "netchecks-operator")["data"].items():
        monkeypatch.setenv(key, value)
    return load_settings(OperatorSettings)


def test_probe_affinity_reaches_every_probe_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _operator_settings(objects({"probe": {"affinity": AFFINITY}}), monkeypatch)
    assert settings.probe_pod_defaults["spec"]["affinity"] == AFFINITY


def test_image_digests_render_valid_references(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "probe": {"image": {"digest": DIGEST}},
        "operator": {"image": {"digest": DIGEST}},
        "results": {"image": {"digest": DIGEST}},
    }
    objs = objects(values)
    images = [
        c["image"]
        for d in find(objs, "Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
    ]
    assert len(images) == 2
    for image in images:
        assert image.endswith("@" + DIGEST) and REFERENCE.match(image), image
    settings = _operator_settings(objs, monkeypatch)
    assert settings.probe_image.endswith("/netchecks-probe@" + DIGEST)
    assert REFERENCE.match(settings.probe_image)


def test_a_digest_given_as_the_tag_still_renders_a_valid_reference() -> None:
    objs = objects({"operator": {"image": {"tag": DIGEST}}})
    image = one(objs, "Deployment", "netchecks-operator")["spec"]["template"]["spec"]["containers"][
        0
    ]["image"]
    assert image.endswith("@" + DIGEST) and REFERENCE.match(image), image


def test_a_digest_that_is_not_sha256_is_refused() -> None:
    with pytest.raises(helm.HelmError, match="digest"):
        objects({"probe": {"image": {"digest": "latest"}}})
