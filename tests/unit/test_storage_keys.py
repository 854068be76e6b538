"""API keys: the environment's keys synced (and removed ones revoked) by every starting worker."""

from __future__ import annotations

from typing import Any

from storage.db import Database
from storage.models import ApiKeyRow
from storage.repo import keys as key_store
from storage.repo.base import sha256_hex
from tests.support.storage import count


def test_env_keys_are_synced_and_removed_ones_revoked(db: Database) -> None:
    with db.session() as session:
        key_store.sync_env_keys(session, [("agent", "a" * 64), ("csm", "c" * 64)])
        key_store.sync_env_keys(session, [("admin", "a" * 64)])
        assert key_store.find_api_key(session, "c" * 64) is None
        found = key_store.find_api_key(session, "a" * 64)
        assert found is not None and found.role == "admin"
        key, _row = key_store.create_api_key(session, "widget", "site")
        assert key.startswith("pk_")
        key_store.sync_env_keys(session, [])  # keys made in the database are not env keys
        assert key_store.find_api_key(session, sha256_hex(key)) is not None
        assert count(session, ApiKeyRow) == 3


def test_two_workers_syncing_the_same_env_keys_at_start_up_both_succeed(db: Database) -> None:
    keys = [("widget", "w" * 64), ("agent", "a" * 64)]
    with db.session() as late:
        read = late.scalars

        def read_then_lose_the_race(*args: Any, **kwargs: Any) -> Any:
            rows = list(read(*args, **kwargs))
            if not rows:  # this worker found no keys; the other one stores them first
                with db.session() as early:
                    key_store.sync_env_keys(early, keys)
            return rows

        late.scalars = read_then_lose_the_race  # type: ignore[method-assign]
        key_store.sync_env_keys(late, keys)
    with db.session() as session:
        assert count(session, ApiKeyRow) == 2
        assert key_store.find_api_key(session, "w" * 64) is not None
