"""The local demo: the probe runs every example config against local servers.

    python3 dev.py demo        (or: .venv/bin/python -m demo [-v])

Starts the targets of :mod:`tests.targets` (dnsmasq, HTTP and HTTPS servers with a
throwaway CA, TCP listeners), points each example's ``targets`` context at them,
runs ``netchecks run --config`` on it, and prints one line per rule. Exits 0 only
when every rule reached the result the example means it to have; everything it
started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.targets.local import LocalTargets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "probe"
CONFIGS = ("http-api.json", "tls.yaml", "dns.yaml", "tcp.yaml", "contexts.yaml")
#: (config, rule) -> status, for rules whose point is to fail; every other rule must pass.
EXPECTED_STATUS = {("tls.yaml", "certificate-expiry"): "fail"}
CLI_TIMEOUT = 120.0


@dataclass
class Row:
    """One rule's outcome."""

    config: str
    assertion: str
    rule: str
    type: str
    status: str
    expected: str
    message: str

    @property
    def as_expected(self) -> bool:
        return self.status == self.expected


def generated_config(name: str, targets: dict[str, Any], workdir: Path) -> Path:
    """The example with its ``targets`` context pointed at the local servers."""
    document = yaml.safe_load((EXAMPLES / name).read_text())
    for context in document.get("contexts", []):
        if context.get("name") == "targets":
            context["data"] = {**(context.get("data") or {}), **targets}
    path = workdir / (Path(name).stem + ".json")
    path.write_text(json.dumps(document, indent=2))
    return path


def run_probe(config: Path) -> tuple[int, dict[str, Any] | None, str]:
    """Run the real CLI on ``config``: (exit code, result document, stderr)."""
    completed = subprocess.run(  # noqa: S603 -- our own CLI on a file we wrote
        [sys.executable, "-m", "netchecks_probe", "run", "--config", str(config)],
        cwd=EXAMPLES,  # file and directory contexts are relative to the examples
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    try:
        document = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        document = None
    return completed.returncode, document, completed.stderr


def rows_of(name: str, document: dict[str, Any]) -> list[Row]:
    rows = []
    for assertion in document.get("assertions", []):
        for result in assertion.get("results", []):
            data = result.get("data") or {}
            reason = data.get("reason")
            message = result.get("message") or (f"reason: {reason}" if reason else "")
            rows.append(
                Row(
                    config=name,
                    assertion=assertion.get("name", ""),
                    rule=result.get("name") or "",
                    type=(result.get("spec") or {}).get("type", ""),
                    status=result.get("status", "?"),
                    expected=EXPECTED_STATUS.get((name, result.get("name")), "pass"),
                    message=" ".join(str(message).split()),
                )
            )
    return rows


def table(rows: list[Row]) -> str:
    header = ("CONFIG", "ASSERTION", "RULE", "TYPE", "RESULT", "EXPECTED", "MESSAGE")
    cells = [
        (r.config, r.assertion, r.rule, r.type, r.status, r.expected, _cut(r.message, 70))
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = []
    for number, cell in enumerate([header, *cells]):
        line = "  ".join(str(v).ljust(w) for v, w in zip(cell, widths, strict=True)).rstrip()
        marker = "  " if number == 0 or rows[number - 1].as_expected else "✗ "
        lines.append(marker + line)
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print each result document")
    args = parser.parse_args(argv)
    out = sys.stdout
    problems: list[str] = []
    rows: list[Row] = []
    started = time.monotonic()
    out.write("starting local targets (dnsmasq, HTTP/HTTPS, TCP)...\n")
    with LocalTargets() as targets, tempfile.TemporaryDirectory(prefix="netchecks-demo-") as tmp:
        local = targets.context()
        for name in CONFIGS:
            config = generated_config(name, local, Path(tmp))
            out.write(f"netchecks run --config {name}\n")
            out.flush()
            code, document, stderr = run_probe(config)
            if document is None:
                problems.append(f"{name}: no result document (exit {code}): {stderr.strip()}")
                continue
            if args.verbose:
                out.write(json.dumps(document, indent=2) + "\n")
            config_rows = rows_of(name, document)
            rows += config_rows
            wanted_code = 0 if all(r.status == "pass" for r in config_rows) else 1
            if code != wanted_code:
                problems.append(f"{name}: exit code {code}, expected {wanted_code}")
    out.write("\n" + table(rows) + "\n\n")
    unexpected = [r for r in rows if not r.as_expected]
    problems += [f"{r.config}: {r.rule} gave {r.status}, expected {r.expected}" for r in unexpected]
    seconds = time.monotonic() - started
    out.write(
        f"{len(rows)} rules in {len(CONFIGS)} configs, {seconds:.1f} s: "
        f"{len(rows) - len(unexpected)} as expected, {len(unexpected)} not\n"
    )
    for problem in problems:
        out.write(f"problem: {problem}\n")
    out.write("demo OK\n" if not problems else "demo FAILED\n")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
