"""Reading a file the probe was pointed at, bounded: regular files only, so many bytes only.

``/dev/zero`` never ends, a FIFO nobody writes blocks its reader forever, and a huge
file costs memory before any parser can refuse it; each is refused here, before reading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileRefusedError(OSError):
    """The file is not a regular file, or larger than the caller accepts.

    Its message says which (``is not a regular file``) without the path: callers name
    the file their own way.
    """


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; :class:`FileRefusedError` if special or over ``limit`` bytes.

    Other ``OSError`` s (missing, a directory, no permission) pass through as they are.
    """
    # O_NONBLOCK: opening a FIFO to read returns at once instead of waiting for a writer.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{path} is a directory")
        if not stat.S_ISREG(mode):
            raise FileRefusedError("is not a regular file")
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise FileRefusedError(f"is larger than {limit} bytes")
    return raw
