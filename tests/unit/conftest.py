"""Fixtures the unit tests of storage share: a migrated database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.support.postgres import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL when it is available."""
    database = Database.open(database_url(request.param, tmp_path))
    database.migrate()
    yield database
    database.close()
