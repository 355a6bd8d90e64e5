"""Pytest fixtures for a real PostgreSQL server (registered in the root ``conftest.py``).

- ``postgres_server``: one throwaway cluster for the whole session.
- ``pg``: a :class:`Scratch` per test: a fresh database, and roles whose names
  carry a per-test prefix; all of it is dropped after the test.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from psycopg import sql

from tools.targets.postgres import PostgresServer


class Scratch:
    """A test's own database and roles on the shared server."""

    def __init__(self, server: PostgresServer, dbname: str) -> None:
        self.server = server
        self.dbname = dbname
        self.prefix = f"t{secrets.token_hex(3)}_"
        self.roles: list[str] = []

    def role(self, name: str) -> str:
        """The cluster-wide name of this test's role ``name``."""
        return self.prefix + name

    def create_role(
        self,
        name: str,
        password: str | None = None,
        *,
        login: bool = True,
        member_of: tuple[str, ...] = (),
    ) -> str:
        """Create this test's role ``name`` (members of this test's ``member_of`` roles)."""
        full = self.role(name)
        statement = sql.SQL("create role {} {}").format(
            sql.Identifier(full), sql.SQL("login" if login else "nologin")
        )
        if password is not None:
            statement = sql.SQL("{} password {}").format(statement, sql.Literal(password))
        if member_of:
            statement = sql.SQL("{} in role {}").format(
                statement, sql.SQL(", ").join(sql.Identifier(self.role(m)) for m in member_of)
            )
        self.server.execute(statement)
        self.roles.append(full)
        return full

    def execute(self, statements: str | sql.SQL | sql.Composed, params: Any = None) -> list[Any]:
        """Run SQL as the superuser in this test's database."""
        return self.server.execute(statements, params, dbname=self.dbname)

    def dsn(self, user: str | None = None, password: str | None = None, **extra: Any) -> str:
        """A DSN to this test's database (as the superuser unless ``user`` is given)."""
        return self.server.dsn(user=user, password=password, dbname=self.dbname, **extra)

    def drop(self) -> None:
        """Drop the database and the roles."""
        self.server.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.dbname))
        )
        for role in reversed(self.roles):
            self.server.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            self.server.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


class DatabasePool:
    """Fresh databases, each created while the previous test runs (creating one takes
    about 0.3 s, most of a short test's time)."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-pool")
        self._next: Future[str] = self._executor.submit(self._create)

    def _create(self) -> str:
        name = f"db_{secrets.token_hex(4)}"
        self.server.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return name

    def take(self) -> str:
        """A database nobody has used; the caller drops it."""
        name = self._next.result(timeout=60)
        self._next = self._executor.submit(self._create)
        return name

    def close(self) -> None:
        """Drop the database made in advance."""
        self._executor.shutdown(wait=True)
        name = self._next.result()
        self.server.execute(sql.SQL("drop database {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster on a loopback port, for the whole test session."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def _pg_databases(postgres_server: PostgresServer) -> Iterator[DatabasePool]:
    pool = DatabasePool(postgres_server)
    yield pool
    pool.close()


@pytest.fixture
def pg(postgres_server: PostgresServer, _pg_databases: DatabasePool) -> Iterator[Scratch]:
    """A fresh database and per-test role names on the session's server."""
    scratch = Scratch(postgres_server, _pg_databases.take())
    try:
        yield scratch
    finally:
        scratch.drop()
