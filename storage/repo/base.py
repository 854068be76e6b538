"""What every aggregate's queries share: table handles, row counts, secret hashing, and the
commit of a row that only the first writer may store."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from errors import NotFoundError
from storage.models import Base

RowT = TypeVar("RowT", bound=Base)


def table(model: type[Base]) -> Table:
    """Return a model's table, for plain Core statements on hot paths."""
    return cast(Table, model.__table__)


def sha256_hex(value: str) -> str:
    """Return the sha256 of a secret, the only form in which secrets are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def updated(result: Any) -> int:
    """Return how many rows an UPDATE changed."""
    return int(result.rowcount)


def get_or_raise(
    session: Session, model: type[RowT], key: str, what: str, *, hint: str | None = None
) -> RowT:
    """Return the row with this primary key, or raise NotFoundError naming what is missing."""
    row = session.get(model, key)
    if row is None:
        raise NotFoundError(f"no {what} {key!r}", hint=hint)
    return row


def commit_first(session: Session) -> bool:
    """Commit what the session holds when it stores a key only one writer may store (a claim,
    a webhook delivery, a computed copy); return False, rolled back, when another writer's row
    with the same key was committed first (its row stands)."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
