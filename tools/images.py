"""What the Dockerfiles do, without Docker: build the wheels, install each image's venv.

Each image (``docker/<name>.Dockerfile``) builds wheels of this repository and installs
them, with their declared dependencies only, into a fresh venv; only that venv goes into
the image. :func:`image_venv` does the same here, so tests and ``bench/images.py`` can
check what an image would contain and how fast it starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
PACKAGES = ROOT / "packages"


@dataclass(frozen=True)
class Image:
    """One image: the packages it installs (with extras) and its console scripts."""

    name: str
    packages: tuple[str, ...]
    extras: dict[str, str]
    scripts: tuple[str, ...]

    @property
    def dockerfile(self) -> Path:
        return DOCKER / f"{self.name}.Dockerfile"


IMAGES = {
    "probe": Image(
        "probe",
        ("netchecks-core", "netchecks-probe"),
        {"netchecks-probe": "postgres"},
        ("netchecks", "netcheck"),
    ),
    "operator": Image(
        "operator",
        ("netchecks-core", "netchecks-service", "netchecks-operator"),
        {},
        ("netchecks-operator",),
    ),
    "results": Image(
        "results",
        ("netchecks-core", "netchecks-service", "netchecks-results"),
        {},
        ("netchecks-results",),
    ),
}

#: What ``pip install netchecks-probe`` installs for a CI job or a laptop (no image,
#: no extras): the install docs/ci.md documents and ``tests/packaging`` tests.
CLI_INSTALL = Image("cli", ("netchecks-core", "netchecks-probe"), {}, ("netchecks", "netcheck"))
#: Every package of the repository, in dependency order.
PACKAGE_NAMES = (
    "netchecks-core",
    "netchecks-service",
    "netchecks-probe",
    "netchecks-operator",
    "netchecks-results",
)


def _run(*cmd: str | Path, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_wheels(out: Path, packages: tuple[str, ...] = PACKAGE_NAMES) -> dict[str, Path]:
    """Wheels of ``packages`` (hatchling, no build isolation: nothing is downloaded)."""
    out.mkdir(parents=True, exist_ok=True)
    wheels: dict[str, Path] = {}
    for package in packages:
        _run(
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            out,
            PACKAGES / package,
        )
        stem = package.replace("-", "_")
        wheels[package] = next(out.glob(f"{stem}-*.whl"))
    return wheels


def image_venv(image: Image, wheels: dict[str, Path], dest: Path) -> Path:
    """A fresh venv with the image's wheels and their declared dependencies, as the
    Dockerfile's builder stage makes it (pip removed, bytecode compiled)."""
    if dest.exists():
        shutil.rmtree(dest)
    base = getattr(sys, "_base_executable", sys.executable)
    _run(base, "-m", "venv", dest)
    python = dest / "bin" / "python"
    requirements = []
    for package in image.packages:
        extra = image.extras.get(package)
        requirements.append(f"{wheels[package]}[{extra}]" if extra else str(wheels[package]))
    _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements)
    _run(python, "-m", "pip", "uninstall", "--quiet", "--yes", "pip")
    _run(python, "-m", "compileall", "-q", dest / "lib")
    return dest


def installed_distributions(venv: Path) -> set[str]:
    """Normalised names of the distributions in a venv."""
    code = (
        "import importlib.metadata as m; "
        "print('\\n'.join(sorted({d.metadata['Name'].lower().replace('_', '-') "
        "for d in m.distributions()})))"
    )
    return set(_run(venv / "bin" / "python", "-c", code).split())


def size_bytes(path: Path) -> int:
    """Bytes of every file under ``path`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total
