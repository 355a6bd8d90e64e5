"""The ``postgres`` check: run exactly one SQL statement and report its rows.

The statement runs in a transaction that is read-only (``read-only``, default
true) and rolled back (``rollback``, default true). It is sent with the extended
query protocol, so the server refuses a text holding several statements before
running any of them. ``timeout`` bounds the connection and, as
``statement_timeout``, the statement. Errors become data: ``success: false``,
``sqlstate``, ``reason``, ``exception-type`` and ``exception`` (the DSN and its
password are scrubbed from every message).
"""

from __future__ import annotations

from typing import Any

import psycopg
from netchecks_core.runnable import RunnablePostgres

from netchecks_probe.checks import pg_common
from netchecks_probe.checks.base import Deadline

DEFAULT_RULE = "data.success == true"


def run(rule: RunnablePostgres, deadline: Deadline) -> dict[str, Any]:
    """Connect, run ``rule.query`` with ``rule.params``, and return rows or the error."""
    scrub = pg_common.Scrubber(rule.dsn)
    try:
        with pg_common.connect(rule.dsn, deadline) as conn:
            if deadline.expired():
                return pg_common.timeout_data("the statement could be sent")
            conn.read_only = rule.read_only
            data = _execute(conn, rule, deadline)
            if rule.rollback:
                conn.rollback()
            else:
                conn.commit()
            return data
    except psycopg.Error as error:
        return pg_common.error_data(error, scrub)


def _execute(
    conn: psycopg.Connection[tuple[Any, ...]], rule: RunnablePostgres, deadline: Deadline
) -> dict[str, Any]:
    cursor = conn.cursor()
    # Pipeline mode: BEGIN, the timeout and the statement travel together, and the
    # statement goes through the extended protocol (one statement only).
    with conn.pipeline() as pipeline:
        pg_common.set_statement_timeout(cursor, deadline)
        cursor.execute(rule.query, rule.params)
        pipeline.sync()
    if cursor.pgresult is not None and cursor.pgresult.status == psycopg.pq.ExecStatus.EMPTY_QUERY:
        return pg_common.failure(
            "query-error", "EmptyQuery", "the query holds no SQL statement (only comments?)"
        )
    columns = [column.name for column in cursor.description or []]
    rows = cursor.fetchmany(rule.row_limit) if columns and rule.row_limit > 0 else []
    row_count = cursor.rowcount if cursor.rowcount >= 0 else len(rows)
    return {
        "success": True,
        "columns": columns,
        "rows": pg_common.jsonable_rows(columns, rows),
        "row-count": row_count,
        "truncated": bool(columns) and row_count > len(rows),
    }
