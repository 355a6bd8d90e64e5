"""docs/library.md: every Python example runs as a user would run it and prints what is shown.

Each ``yaml`` block whose first line is ``# file: NAME`` is written to ``NAME`` in a
fresh directory; each ``python`` block runs there in its own interpreter, and its
stdout must equal the ``text`` block right after it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.markdown import CodeBlock, page

PAGE = page("library.md")
FILE_MARKER = "# file: "


def files() -> dict[str, str]:
    """The example files of the page: name -> text."""
    return {
        b.text.splitlines()[0].removeprefix(FILE_MARKER).strip(): b.text
        for b in PAGE.blocks
        if b.language == "yaml" and b.text.startswith(FILE_MARKER)
    }


def examples() -> list[tuple[CodeBlock, str]]:
    """Each Python block and the output shown right after it."""
    found = []
    for block, following in zip(PAGE.blocks, [*PAGE.blocks[1:], None], strict=True):
        if block.language == "python":
            assert following is not None and following.language == "text", (
                f"{block.where}: a Python example is followed by a text block of its output"
            )
            found.append((block, following.text))
    return found


def test_every_python_example_is_marked_runnable_and_there_is_one_per_section() -> None:
    blocks = [block for block, _ in examples()]

    assert [b.where for b in blocks if not b.runnable] == []
    assert {b.section for b in blocks} >= {
        "Load a manifest file",
        "Iterate typed rules",
        "Validate",
        "Get the JSON Schemas",
    }
    assert "assertions.yaml" in files()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("block", "output"), examples(), ids=lambda v: getattr(v, "where", ""))
def test_library_example_prints_what_the_page_shows(
    block: CodeBlock, output: str, tmp_path: Path
) -> None:
    for name, text in files().items():
        (tmp_path / name).write_text(text)

    done = subprocess.run(
        [sys.executable, "-c", block.text],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == output
