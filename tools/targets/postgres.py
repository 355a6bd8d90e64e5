"""A throwaway PostgreSQL cluster for tests and benchmarks.

Uses the server binaries of the system's PostgreSQL (Debian keeps them in
``/usr/lib/postgresql/<version>/bin``; ``PG_BINDIR`` overrides). The cluster lives
in a temporary directory, listens on a free loopback port, authenticates TCP
clients with passwords (so bad credentials can be tested) and is tuned for
speed, not durability. ``initdb`` refuses to run as root, so under root the
cluster runs as the ``postgres`` system user (``PG_RUN_AS`` overrides).

    with PostgresServer() as pg:
        pg.execute("create role app login password 'secret'")
        dsn = pg.dsn(user="app", password="secret")
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from tools.targets.base import Target
from tools.targets.processes import die_with_parent, free_port, stop

_START_TIMEOUT = 30.0


class PostgresServerError(RuntimeError):
    """The cluster could not be created or started."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``postgres`` (newest installed version)."""
    override = os.environ.get("PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresServerError(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package"
        " (python3 dev.py setup does) or set PG_BINDIR"
    )


def _die_with_parent() -> None:
    # Runs in the child after its user switch (which would clear the setting):
    # if the test process dies, the postmaster gets SIGINT (fast shutdown).
    die_with_parent(signal.SIGINT)


class PostgresServer(Target):
    """A PostgreSQL cluster in a temporary directory, on ``127.0.0.1:<port>``."""

    host = "127.0.0.1"

    def __init__(self, superuser: str = "postgres", password: str | None = None) -> None:
        self.superuser = superuser
        self.password = password or secrets.token_urlsafe(12)
        self.port = 0
        self.bindir = find_bindir()
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._run_as = self._system_user()

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Create the cluster and start the server; returns once it accepts connections."""
        if self._process is not None:
            return
        self._dir = Path(tempfile.mkdtemp(prefix="netchecks-pg-"))
        try:
            self._initdb()
            for attempt in range(3):
                self.port = free_port()
                if self._start_postmaster(last_attempt=attempt == 2):
                    return
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster."""
        process, self._process = self._process, None
        if process is not None:
            stop(process, timeout=10, signal_number=signal.SIGINT)  # fast shutdown
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- connecting -------------------------------------------------------------

    def dsn(
        self,
        user: str | None = None,
        password: str | None = None,
        dbname: str = "postgres",
        **extra: Any,
    ) -> str:
        """A key/value connection string; the superuser's unless ``user`` is given."""
        if user is None:
            user, password = self.superuser, self.password if password is None else password
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": user,
            "dbname": dbname,
            **extra,
        }
        if password is not None:
            params["password"] = password
        return conninfo.make_conninfo(**params)

    def url(self, user: str, password: str, dbname: str = "postgres") -> str:
        """A ``postgresql://`` URL (the other DSN form people use)."""
        from urllib.parse import quote

        return (
            f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{self.host}:{self.port}/{quote(dbname, safe='')}"
        )

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        """A superuser connection in autocommit mode (for setting up test data)."""
        return psycopg.connect(self.dsn(dbname=dbname), autocommit=True, connect_timeout=10)

    def execute(
        self,
        statements: str | sql.SQL | sql.Composed,
        params: Sequence[Any] | None = None,
        dbname: str = "postgres",
    ) -> list[tuple[Any, ...]]:
        """Run SQL as the superuser (autocommit); the rows of the last statement."""
        with self.connect(dbname) as conn:
            cursor = conn.execute(statements, params)
            return cursor.fetchall() if cursor.description is not None else []

    @contextlib.contextmanager
    def database(self, name: str | None = None) -> Iterator[str]:
        """A fresh database, dropped afterwards (its name is yielded)."""
        name = name or f"db_{secrets.token_hex(4)}"
        self.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        try:
            yield name
        finally:
            self.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )

    # -- internals --------------------------------------------------------------

    @staticmethod
    def _system_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        name = os.environ.get("PG_RUN_AS", "postgres")
        try:
            return pwd.getpwnam(name)
        except KeyError:
            raise PostgresServerError(
                f"running as root, and PostgreSQL refuses root: user {name!r} does not exist"
                " (install Debian's 'postgresql' package, or set PG_RUN_AS to another user)"
            ) from None

    def _spawn_kwargs(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

    def _own(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _initdb(self) -> None:
        assert self._dir is not None
        self._own(self._dir)
        pwfile = self._dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._own(pwfile)
        result = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self._dir / "data"),
                "--username",
                self.superuser,
                "--pwfile",
                str(pwfile),
                "--auth-local",
                "trust",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            cwd=self._dir,
            timeout=120,
            check=False,
            **self._spawn_kwargs(),
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise PostgresServerError(
                "initdb failed: " + (result.stderr or result.stdout).decode(errors="replace")
            )

    def _start_postmaster(self, *, last_attempt: bool) -> bool:
        assert self._dir is not None
        log_path = self._dir / "server.log"
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self._dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "60",
            "shared_buffers": "32MB",
            "max_locks_per_transaction": "256",
            "logging_collector": "off",
        }
        args = [str(self.bindir / "postgres"), "-D", str(self._dir / "data")]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self._dir,
                preexec_fn=_die_with_parent,
                **self._spawn_kwargs(),
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                text = log_path.read_text(errors="replace")
                self._process = None
                if "could not bind" in text and not last_attempt:
                    return False
                raise PostgresServerError(f"postgres exited at start-up:\n{text[-3000:]}")
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise PostgresServerError(
            f"postgres did not accept connections within {_START_TIMEOUT:.0f} s:\n"
            + log_path.read_text(errors="replace")[-3000:]
        )
