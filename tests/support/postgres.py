"""A throwaway PostgreSQL server on 127.0.0.1 for tests, started once per test session.

`initdb` refuses to run as root. When the tests run as root (as in CI containers), the
server runs as the unprivileged `postgres` account (Debian's packages create it) through
`subprocess`'s `user=` option, with a data directory handed to that account. Each test gets
a database of its own (`PostgresServer.create_database`), which is much faster than a
server per test. Tests skip, saying why, only when the server binaries are missing.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.net import free_port

_PREFERRED_BIN_DIRS = ("/usr/local/bin",)
_server: PostgresServer | None = None
_template: Path | None = None
_failure: str | None = None
_counter = itertools.count(1)


def find_bin_dir() -> Path | None:
    """Return a directory holding initdb, pg_ctl and postgres, or None."""
    candidates = [Path(d) for d in _PREFERRED_BIN_DIRS]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


@dataclass
class PostgresServer:
    """A running server: connect as user `kotae` (trust auth) on 127.0.0.1:port."""

    bin_dir: Path
    root: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        """Return the cluster's data directory."""
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        account = pwd.getpwnam(self.run_as) if self.run_as else None
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresServer:
        """Create a cluster in a temporary directory and start it."""
        run_as = None
        root = Path(tempfile.mkdtemp(prefix="kotae-pg-"))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError(
                    "tests run as root and there is no unprivileged 'postgres' "
                    "account to run the server as (initdb refuses root)"
                ) from None
            os.chown(root, account.pw_uid, account.pw_gid)
            run_as = "postgres"
        server = cls(bin_dir, root, free_port(), run_as)
        try:
            server._run(
                "initdb",
                "-D",
                str(server.data_dir),
                "-U",
                "kotae",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            options = (
                f"-p {server.port} -c listen_addresses=127.0.0.1 "
                "-c unix_socket_directories='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=300"
            )
            server._run(
                "pg_ctl",
                "-D",
                str(server.data_dir),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(
                f"PostgreSQL did not start: {exc.stderr or exc.stdout}{log}"
            ) from exc
        return server

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://kotae@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh, empty database and return its URL."""
        import psycopg

        name = f"kotae_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=kotae dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def emptied_database(self) -> str:
        """Return the URL of the server's reusable database, with every table emptied.

        Much faster than a new database per test (CREATE DATABASE takes about half a
        second); the schema stays, so only data from earlier tests is removed.
        """
        import psycopg

        name = "kotae_reused"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=kotae dbname=postgres", autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=kotae dbname={name}", autocommit=True
        ) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ]
            if tables:
                connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def shared_server() -> PostgresServer:
    """Return the session's server, starting it on first use; skip when impossible."""
    global _server, _failure
    if _server is not None:
        return _server
    if _failure is not None:
        pytest.skip(_failure)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _failure = (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
            "/usr/local/bin, on PATH or in /usr/lib/postgresql/*/bin; install "
            "Debian's `postgresql` package to run the PostgreSQL variants"
        )
        pytest.skip(_failure)
    try:
        _server = PostgresServer.start(bin_dir)
    except RuntimeError as exc:
        _failure = str(exc)
        raise
    atexit.register(_server.stop)
    return _server


def _sqlite_template() -> Path:
    # Migrating a new SQLite file takes ~0.1 s; copying a migrated one takes ~1 ms.
    global _template
    if _template is None:
        from storage.db import Database

        directory = Path(tempfile.mkdtemp(prefix="kotae-sqlite-template-"))
        atexit.register(shutil.rmtree, directory, True)
        database = Database.open(f"sqlite:///{directory / 'template.sqlite3'}")
        database.migrate()
        database.close()  # the last connection to close folds the WAL into the file
        _template = directory / "template.sqlite3"
    return _template


def database_url(backend: str, tmp_path: Path, *, fresh: bool = False) -> str:
    """Return the URL of an empty database for backend "sqlite" (a file in tmp_path) or
    "postgresql" (a reused database with its tables emptied). Both already have the
    schema unless fresh is set: then the database is new and bare."""
    if backend == "sqlite":
        path = tmp_path / "kotae.sqlite3"
        if not fresh:
            shutil.copyfile(_sqlite_template(), path)
        return f"sqlite:///{path}"
    if backend == "postgresql":
        server = shared_server()
        return server.create_database() if fresh else server.emptied_database()
    raise ValueError(f"unknown backend {backend!r}")


BACKENDS = ("sqlite", "postgresql")
