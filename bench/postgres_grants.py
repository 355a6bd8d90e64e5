#!/usr/bin/env python3
"""Benchmark: the ``postgres-grants`` check, ours (set-based) vs the old per-pair approach.

    .venv/bin/python -m bench.postgres_grants [--roles 50] [--tables 2000]
                                              [--privileges INSERT,UPDATE,DELETE]

Starts a throwaway PostgreSQL cluster, creates ``--roles`` login roles and
``--tables`` tables (a few of them granted, so there are violations to find),
then times one deny rule over every role x table x privilege with

- ours: ``netchecks_probe.checks.postgres_grants.run`` (one statement per rule);
- the old one: ``postgres_grants_check`` of PyPI ``netcheck==0.10.0`` (one query
  per role x object x privilege), run by the python of its own venv in
  ``.bench/netcheck-0.10.0`` (installed on first use, with
  ``common-expression-language==0.5.6`` pinned beside it).

Both time only the check (not imports or start-up), check that they found the
same violations, and the script prints both times and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netchecks_core.runnable import RunnablePostgresGrants, parse_runnable
from netchecks_probe.checks import postgres_grants
from netchecks_probe.checks.base import Deadline

from tools.targets.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent

OLD_VENV = ROOT / ".bench" / "netcheck-0.10.0"
OLD_PINS = ["netcheck==0.10.0", "common-expression-language==0.5.6", "psycopg[binary]>=3,<4"]
OLD_PYTHON = OLD_VENV / "bin" / "python"
TIMEOUT = 3600.0

#: Runs inside the old venv: time the old check on the rule read from stdin.
OLD_RUNNER = """
import json, sys, time
from netcheck.checks.postgres import postgres_grants_check
job = json.load(sys.stdin)
started = time.perf_counter()
result = postgres_grants_check(job["dsn"], job["rules"], timeout=job["timeout"])
elapsed = time.perf_counter() - started
data = result["data"]
print(json.dumps({"seconds": elapsed, "success": data["success"],
                  "exception": data.get("exception"),
                  "violations": [[v["role"], v["object"], v["privilege"]]
                                 for v in data["violations"]]}))
"""


def ensure_old_netcheck() -> None:
    """Install the old package in its own venv (once)."""
    check = [str(OLD_PYTHON), "-c", "import netcheck.checks.postgres, psycopg"]
    if OLD_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    print(f"installing {' '.join(OLD_PINS)} into {OLD_VENV}", file=sys.stderr)
    if not OLD_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OLD_VENV)], check=True)
    subprocess.run([str(OLD_VENV / "bin" / "pip"), "install", "-q", *OLD_PINS], check=True)


def build_catalog(pg: PostgresServer, roles: int, tables: int) -> list[str]:
    """``roles`` login roles and ``tables`` tables in schema ``bench``; returns role names."""
    pg.execute(
        f"""
        do $$ begin
          for i in 1..{roles} loop
            execute format('create role bench_r%s login', i);
          end loop;
          create schema bench;
          for i in 1..{tables} loop
            execute format('create table bench.t%s (id int primary key, body text)', i);
          end loop;
          -- a handful of violations: every 10th role may insert into every 500th table
          for i in 10..{roles} by 10 loop
            for j in 500..{tables} by 500 loop
              execute format('grant insert on bench.t%s to bench_r%s', j, i);
            end loop;
          end loop;
        end $$;
        """
    )
    pg.execute("analyze")
    return [f"bench_r{i}" for i in range(1, roles + 1)]


def run_ours(dsn: str, rules: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    rule = parse_runnable(
        {"type": "postgres-grants", "dsn": dsn, "rules": rules, "timeout": TIMEOUT}
    )
    assert isinstance(rule, RunnablePostgresGrants)
    started = time.perf_counter()
    data = postgres_grants.run(rule, Deadline.after(TIMEOUT))
    return time.perf_counter() - started, data


def run_old(dsn: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    job = json.dumps({"dsn": dsn, "rules": rules, "timeout": TIMEOUT})
    done = subprocess.run(
        [str(OLD_PYTHON), "-c", OLD_RUNNER],
        input=job,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise SystemExit(f"the old check crashed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--roles", type=int, default=50)
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--privileges", default="INSERT,UPDATE,DELETE")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (best is shown)")
    args = parser.parse_args()
    privileges = [p.strip().upper() for p in args.privileges.split(",") if p.strip()]

    ensure_old_netcheck()
    with PostgresServer() as pg:
        started = time.perf_counter()
        role_names = build_catalog(pg, args.roles, args.tables)
        print(
            f"catalog: {args.roles} roles x {args.tables} tables"
            f" (built in {time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
        )
        rules = [
            {
                "name": "no-writes",
                "mode": "deny",
                "roles": {"names": role_names},
                "objects": {"type": "table", "schemas": ["bench"]},
                "privileges": privileges,
            }
        ]
        dsn = pg.dsn()

        ours_times: list[float] = []
        data: dict[str, Any] = {}
        for _ in range(max(1, args.repeat)):
            elapsed, data = run_ours(dsn, rules)
            ours_times.append(elapsed)
        if not data.get("success"):
            raise SystemExit(f"our check failed: {data.get('exception')}")
        print("running the old per-pair check (this takes a while)...", file=sys.stderr)
        old = run_old(dsn, rules)
        if not old["success"]:
            raise SystemExit(f"the old check failed: {old['exception']}")

    ours = min(ours_times)
    pairs = data["pair-count"]
    same = data["violation-count"] == len(old["violations"])
    print(f"pairs evaluated:        {pairs} ({args.roles} roles x {args.tables} tables"
          f" x {len(privileges)} privileges)")  # fmt: skip
    print(f"violations found:       ours {data['violation-count']},"
          f" old {len(old['violations'])} ({'same' if same else 'DIFFERENT'})")  # fmt: skip
    print(f"ours (set-based):       {ours:.3f} s  (best of {len(ours_times)};"
          f" runs: {', '.join(f'{t:.3f}' for t in ours_times)})")  # fmt: skip
    print(f"old netcheck 0.10.0:    {old['seconds']:.3f} s  (one query per pair)")
    print(f"ratio old / ours:       {old['seconds'] / ours:.1f}x")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
