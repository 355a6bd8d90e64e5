"""Wheels built once, and one venv per image, shared by the packaging tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.images import CLI_INSTALL, IMAGES, build_wheels, image_venv


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def venvs(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("image-venvs")
    return {name: image_venv(image, wheels, root / name) for name, image in IMAGES.items()}


@pytest.fixture(scope="session")
def cli_venv(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with what ``pip install netchecks-probe`` installs (from our wheels)."""
    return image_venv(CLI_INSTALL, wheels, tmp_path_factory.mktemp("cli-venv") / "venv")
