"""What every Dockerfile must hold: a pinned base, a builder stage whose venv alone is
copied, a numeric non-root user, OCI labels, the console script as entrypoint, and no
network fetch outside package installs."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tools.images import DOCKER, IMAGES, PACKAGES, ROOT

PINNED_BASE = re.compile(r"^python:3\.12\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")
NETWORK = re.compile(r"\b(curl|wget|git\s+clone|apt-get|apk\s+add|nc|ftp)\b|https?://")


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages(path: Path) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions(path):
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _base(path: Path) -> str:
    args = {k: v for k, _, v in (a.partition("=") for i, a in _instructions(path) if i == "ARG")}
    return args["PYTHON_IMAGE"]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_base_image_is_python_312_slim_bookworm_pinned_to_an_exact_release(image: str) -> None:
    path = IMAGES[image].dockerfile
    assert PINNED_BASE.match(_base(path)), _base(path)
    froms = [a for i, a in _instructions(path) if i == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_final_stage_gets_only_the_venv_and_runs_as_a_numeric_non_root_user(image: str) -> None:
    final = _stages(IMAGES[image].dockerfile)[-1]
    copies = [a for i, a in final if i in ("COPY", "ADD")]
    assert copies == ["--from=build /opt/netchecks /opt/netchecks"]
    assert not [a for i, a in final if i == "RUN"], "no build step in the final stage"
    users = [a for i, a in final if i == "USER"]
    assert len(users) == 1
    uid, _, gid = users[0].partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    assert [i for i, _ in final][-2:] in (["USER", "ENTRYPOINT"], ["ENTRYPOINT", "CMD"])


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_entrypoint_is_the_packages_console_script_in_exec_form(image: str) -> None:
    final = _stages(IMAGES[image].dockerfile)[-1]
    entrypoint = json.loads(next(a for i, a in final if i == "ENTRYPOINT"))
    package = IMAGES[image].packages[-1]
    scripts = tomllib.loads((PACKAGES / package / "pyproject.toml").read_text())["project"][
        "scripts"
    ]
    assert len(entrypoint) == 1 and entrypoint[0] in scripts
    assert entrypoint[0] == IMAGES[image].scripts[0]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_no_network_fetch_outside_package_installs(image: str) -> None:
    for instruction, args in _instructions(IMAGES[image].dockerfile):
        assert instruction != "ADD", "ADD can fetch URLs; COPY only"
        if instruction == "RUN":
            assert not NETWORK.search(args), args
            for command in re.split(r"&&|;", args):
                words = command.split()
                if "install" in words:  # only pip, only local wheels and their dependencies
                    assert re.search(r"/bin/pip$|^pip$", words[0]), command


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_builder_makes_wheels_from_the_repository_and_installs_them_into_a_venv(
    image: str,
) -> None:
    build = _stages(IMAGES[image].dockerfile)[0]
    copied = [a.split()[0] for i, a in build if i == "COPY"]
    assert copied == [f"packages/{p}" for p in IMAGES[image].packages]
    runs = " ".join(a for i, a in build if i == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels" in runs
    assert "python -m venv /opt/netchecks" in runs
    assert "/wheels/" in runs


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_oci_labels_name_the_image(image: str) -> None:
    labels = " ".join(a for i, a in _instructions(IMAGES[image].dockerfile) if i == "LABEL")
    for key in ("title", "description", "licenses", "version"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert f'org.opencontainers.image.title="netchecks-{image}"' in labels


def test_probe_image_prewarms_the_cel_parser_cache_readable_by_its_user() -> None:
    instructions = _instructions(IMAGES["probe"].dockerfile)
    envs = " ".join(a for i, a in instructions if i == "ENV")
    assert "NETCHECKS_CACHE_DIR=/opt/netchecks/cache" in envs
    runs = " ".join(a for i, a in instructions if i == "RUN")
    assert "cel.evaluate(" in runs and "chmod -R a+rX /opt/netchecks/cache" in runs
    assert "[postgres]" in runs


def test_dockerignore_admits_only_the_packages_without_their_tests() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**"
    admitted = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert admitted == {
        f"packages/{p}"
        for p in (
            "netchecks-core",
            "netchecks-service",
            "netchecks-probe",
            "netchecks-operator",
            "netchecks-results",
        )
    }
    assert "**/tests/" in lines
    assert {p.name for p in DOCKER.glob("*.Dockerfile")} == {
        f"{name}.Dockerfile" for name in IMAGES
    }
