"""Where the real ``kubectl`` is: on PATH, else the one ``python3 dev.py setup`` put into .venv."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def kubectl_binary() -> str | None:
    """The kubectl to run, or None when the machine has none."""
    return shutil.which("kubectl") or shutil.which("kubectl", path=str(Path(sys.executable).parent))
