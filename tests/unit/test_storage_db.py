"""The database itself, on SQLite and PostgreSQL: migrations, URLs, times in UTC, the writer lock."""

from __future__ import annotations

import threading
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from errors import ConfigError
from storage.db import Database, normalise_url
from storage.models import Base, InquiryRow, utcnow
from tests.support.postgres import BACKENDS, database_url
from tests.support.storage import count, receive


def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    for backend in BACKENDS:
        database = Database.open(database_url(backend, tmp_path, fresh=True))
        database.migrate()
        database.migrate()  # a second start changes nothing
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == [], backend
        database.close()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://x@y/z", "unsupported database"),
        ("not a url", "not a database URL"),
        ("sqlite://", "in-memory"),
    ],
)
def test_bad_database_urls_are_config_errors(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Database.open(url)


def test_plain_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_times_are_stored_in_utc_and_read_back_aware(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        stored = session.get(InquiryRow, row.id)
        assert stored is not None
        assert stored.created_at.tzinfo is UTC
        assert abs((stored.created_at - utcnow()).total_seconds()) < 60


def test_sqlite_writers_in_every_process_queue_on_one_lock_file(tmp_path: Path) -> None:
    import fcntl
    import os

    database = Database.open(f"sqlite:///{tmp_path / 'kotae.sqlite3'}")
    database.migrate()
    # Another process's writer, as the kernel sees it: a second open file holding the flock.
    other = os.open(tmp_path / "kotae.sqlite3.writer.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def write() -> None:
        receive(database)
        done.set()

    worker = threading.Thread(target=write)
    worker.start()
    try:
        assert not done.wait(0.5), "a write went ahead while another process held the lock"
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    assert done.wait(10)
    worker.join()
    with database.session() as session:
        assert count(session, InquiryRow) == 1
    database.close()


def test_the_writer_lock_gives_up_after_its_timeout_and_never_stays_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import os
    import time

    from storage.db import _SqliteWriterLock

    path = tmp_path / "kotae.sqlite3.writer.lock"
    writers = _SqliteWriterLock(path, timeout_s=0.2)
    other = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # another process is writing, for too long
    connection = type("Connection", (), {"info": {}})()
    started = time.monotonic()
    writers.before_execute(connection, None, "INSERT INTO inquiries VALUES (1)")
    assert time.monotonic() - started >= 0.2
    assert connection.info["kotae_writer"] is False  # went ahead under SQLite's locking
    started = time.monotonic()
    writers.before_execute(connection, None, "UPDATE inquiries SET status = 'decided'")
    assert time.monotonic() - started < 0.2  # the same transaction does not wait out the 0.2 s again
    fcntl.flock(other, fcntl.LOCK_UN)
    os.close(other)

    def broken(*_args: Any) -> None:
        raise OSError("no locks on this file system")

    monkeypatch.setattr(fcntl, "flock", broken)
    with pytest.raises(OSError, match="no locks"):
        writers.before_execute(type("Connection", (), {"info": {}})(), None, "INSERT 1")
    assert writers._lock.acquire(blocking=False)  # the thread lock was not left held


def test_only_the_first_writer_of_a_key_commits(db: Database) -> None:
    from storage.models import InsightSnapshotRow
    from storage.repo.base import commit_first

    with db.session() as first, db.session() as second:
        first.add(InsightSnapshotRow(key="claim", payload={"by": "first"}))
        second.add(InsightSnapshotRow(key="claim", payload={"by": "second"}))
        assert commit_first(first)
        assert not commit_first(second)  # rolled back: the session is usable again
        assert second.get(InsightSnapshotRow, "claim").payload == {"by": "first"}
