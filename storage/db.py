"""Open the database (SQLite file by default, PostgreSQL by URL) and bring its schema up to date."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from errors import ConfigError, StoreError
from retrieval.locks import file_lock

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 0x6B6F746165  # "kotae": one advisory lock id shared by every process


def normalise_url(url: str) -> URL:
    """Return a SQLAlchemy URL, choosing psycopg 3 for plain postgres:// URLs."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"DATABASE_URL is not a database URL: {exc}",
            hint="use sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user:password@host:5432/dbname",
        ) from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r} in DATABASE_URL",
            hint="Kotae runs on SQLite (the default) or PostgreSQL",
        )
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers queue
    # instead of failing with "database is locked" under concurrent inquiries.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class _SqliteWriterLock:
    """Queue SQLite writers on locks instead of SQLite's busy handler.

    SQLite admits one writer; a second connection that wants to write waits in the busy
    handler, which sleeps in growing steps (up to 100 ms) between retries. Under many
    concurrent inquiries those sleeps, not the work, made the tail latency. Before a
    connection's first write this takes a process-wide lock and then an exclusive `flock` on
    a file beside the database (so the uvicorn workers of one host queue too), and releases
    both when the connection returns to the pool, just after its commit or rollback: the
    write lock is handed over as soon as it is free. A process that dies drops its `flock`.
    Waiting for another process polls the `flock` in steps of at most 2 ms (one thread per
    process); after `timeout_s` the write goes ahead under SQLite's own locking.
    """

    _WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, lock_path: Path, timeout_s: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._timeout_s = timeout_s
        self._lock_path = lock_path
        self._fd: int | None = None  # opened on first use, in the process that writes
        self._pid = 0

    def _file(self) -> int | None:
        # Called with _lock held. A forked child reopens the file: sharing its parent's open
        # file would make the two one owner to flock. (A forked process should open its own
        # Database anyway, as with any SQLAlchemy engine.)
        if self._fd is None or self._pid != os.getpid():
            if self._fd is not None and self._fd >= 0:
                os.close(self._fd)
            self._pid = os.getpid()
            try:
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # a read-only folder: SQLite's own locking still holds
                log.warning("no writer lock file %s (%s); using SQLite's locking", self._lock_path,
                            exc)
                self._fd = -1
        return None if self._fd < 0 else self._fd

    def _acquire(self) -> bool:
        """Take both locks within the timeout; on timeout hold neither and return False."""
        deadline = time.monotonic() + self._timeout_s
        if not self._lock.acquire(timeout=self._timeout_s):
            return False
        try:
            fd = self._file()
            if fd is None:
                return True
            pause = 0.0002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:  # another process is writing
                    if time.monotonic() >= deadline:
                        self._lock.release()
                        return False
                    time.sleep(pause)  # one waiter per process polls; the rest queue on _lock
                    pause = min(pause * 2, 0.002)
        except BaseException:
            self._lock.release()
            raise

    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "kotae_writer" in conn.info or not statement.lstrip().upper().startswith(
                self._WRITES):
            return
        # On timeout, go ahead (and do not wait again in this transaction): SQLite's own
        # locking then decides, as it would without us.
        conn.info["kotae_writer"] = self._acquire()

    def release_record(self, _dbapi_connection: Any, record: Any) -> None:
        # `record` is the pool's record of the connection; its `info` is the same dictionary
        # as the Connection's that took the locks.
        if record.info.pop("kotae_writer", False):
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._lock.release()


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 30) -> Engine:
    """Create an engine with settings that suit many threads sharing it (the pool sizes are
    PostgreSQL's; SQLite keeps one connection per request thread)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(
                "an in-memory SQLite database would lose every inquiry on restart",
                hint="point DATABASE_URL at a file: sqlite:///var/store/kotae.sqlite3",
            )
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": 30},
            # As many kept connections as request threads (anyio's 40): an overflow connection
            # is closed at check-in and reopened (with its pragmas) by the next request.
            pool_size=40,
            max_overflow=10,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        writers = _SqliteWriterLock(Path(f"{database}.writer.lock"))
        event.listen(engine, "before_cursor_execute", writers.before_execute)
        # Released when the connection goes back to the pool, which a Session does right
        # after the real commit or rollback. (The engine's "commit" event fires before the
        # commit reaches SQLite: releasing there let the next writer run into SQLite's lock.)
        event.listen(engine.pool, "checkin", writers.release_record)
        return engine
    return create_engine(parsed, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=60,
                         pool_pre_ping=True)


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Database:
        """Connect to the database at url (nothing is created until `migrate`)."""
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        """Return "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def session(self) -> Session:
        """Return a new session; the caller closes it."""
        return self.sessions()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration, one process at a time."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self._migration_lock(), self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"could not migrate the database: {exc}",
                hint="check DATABASE_URL and that the database is reachable",
            ) from exc

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        # Several workers may start at once; only one may run the migrations.
        if self.dialect == "postgresql":
            with self.engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                try:
                    yield
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
                    lock.commit()
            return
        database = self.engine.url.database or "kotae"
        with file_lock(Path(f"{database}.migrate.lock")):
            yield

    def ping(self) -> None:
        """Raise StoreError unless the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(f"the database is unreachable: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
