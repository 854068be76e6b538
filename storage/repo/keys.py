"""API keys: the ones from KOTAE_API_KEYS kept in sync, the ones created in the database, lookups."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ApiKeyRow, new_id, utcnow
from storage.repo.base import sha256_hex, updated


def sync_env_keys(
    session: Session, keys: Sequence[tuple[str, str]], *, _retry: bool = False
) -> None:
    """Make the env-sourced keys equal to keys, given as (role, sha256); revoke the rest."""
    now = utcnow()
    wanted = {key_hash: role for role, key_hash in keys}
    rows = {row.key_hash: row for row in session.scalars(select(ApiKeyRow))}
    for key_hash, role in wanted.items():
        row = rows.get(key_hash)
        if row is None:
            session.add(
                ApiKeyRow(
                    id=new_id("key"),
                    key_hash=key_hash,
                    role=role,
                    label=f"{role} (KOTAE_API_KEYS)",
                    source="env",
                    created_at=now,
                )
            )
        elif row.source == "env" and (row.role != role or row.revoked_at is not None):
            row.role, row.revoked_at = role, None
    for key_hash, row in rows.items():
        if row.source == "env" and key_hash not in wanted and row.revoked_at is None:
            row.revoked_at = now
    try:
        session.commit()
    except IntegrityError:
        # Another worker starting at the same moment stored the same keys first: what it
        # stored is what we wanted, so one more pass finds them and has nothing to add.
        session.rollback()
        if _retry:
            raise
        sync_env_keys(session, keys, _retry=True)


def find_api_key(session: Session, key_hash: str) -> ApiKeyRow | None:
    """Return the active key with this hash, if any."""
    return session.scalar(
        select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash, ApiKeyRow.revoked_at.is_(None))
    )


def active_api_keys(session: Session) -> list[ApiKeyRow]:
    """Return every key that is not revoked."""
    return list(session.scalars(select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None))))


def create_api_key(session: Session, role: str, label: str) -> tuple[str, ApiKeyRow]:
    """Create a key and return it in plain text (shown once) with its stored row."""
    prefix = "pk" if role == "widget" else "sk"
    key = f"{prefix}_{secrets.token_urlsafe(24)}"
    row = ApiKeyRow(
        id=new_id("key"),
        key_hash=sha256_hex(key),
        role=role,
        label=label,
        source="db",
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    return key, row


def revoke_api_key(session: Session, key_id: str) -> bool:
    """Revoke a key; return whether it was active."""
    result = session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    return updated(result) == 1
