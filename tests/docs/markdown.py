"""What the documentation tests read from the Markdown pages: code blocks, tables, sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: An HTML comment right before a code block that asks the tests to run it.
RUN_MARKER = "<!-- run -->"


@dataclass
class CodeBlock:
    """One fenced code block."""

    page: str
    line: int
    language: str
    text: str
    section: str
    runnable: bool

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Table:
    """One table: its section heading, header and rows of cell texts."""

    page: str
    section: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def column(self, index: int = 0) -> list[str]:
        return [row[index] for row in self.rows]


@dataclass
class Page:
    """A parsed documentation page."""

    name: str
    text: str
    blocks: list[CodeBlock]
    tables: list[Table]

    def tables_in(self, section: str) -> list[Table]:
        return [t for t in self.tables if t.section == section]

    def blocks_in(self, section: str, language: str) -> list[CodeBlock]:
        return [b for b in self.blocks if b.section == section and b.language == language]


def pages() -> list[str]:
    """Every page of ``docs/``."""
    return sorted(p.name for p in DOCS.glob("*.md"))


@cache
def page(name: str) -> Page:
    """Parse ``docs/<name>``."""
    text = (DOCS / name).read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[CodeBlock] = []
    tables: list[Table] = []
    section = ""
    previous_html = ""
    table: Table | None = None
    row: list[str] | None = None
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and in_heading:
            section = token.content
        elif token.type == "fence":
            line = (token.map[0] + 1) if token.map else 0
            blocks.append(
                CodeBlock(
                    name,
                    line,
                    token.info.strip().split(" ")[0],
                    token.content,
                    section,
                    previous_html.strip() == RUN_MARKER,
                )
            )
        elif token.type == "table_open":
            table = Table(name, section, [])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close" and table is not None and row is not None:
            if table.header:
                table.rows.append(row)
            else:
                table.header = row
            row = None
        elif token.type == "table_close" and table is not None:
            tables.append(table)
            table = None
        previous_html = token.content if token.type == "html_block" else ""
    return Page(name, text, blocks, tables)


def code_names(cell: str) -> list[str]:
    """The backticked names in a table cell: ``"`a`, `b`"`` -> ``["a", "b"]``."""
    return re.findall(r"`([^`]+)`", cell)


def first_code(cell: str) -> str:
    """The first backticked name of a cell (a table's key column)."""
    names = code_names(cell)
    assert names, f"no `name` in table cell {cell!r}"
    return names[0]
