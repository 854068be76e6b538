"""What every aggregate's queries share: table handles, row counts, secret hashing."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from sqlalchemy import Table

from storage.models import Base


def table(model: type[Base]) -> Table:
    """Return a model's table, for plain Core statements on hot paths."""
    return cast(Table, model.__table__)


def sha256_hex(value: str) -> str:
    """Return the sha256 of a secret, the only form in which secrets are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def updated(result: Any) -> int:
    """Return how many rows an UPDATE changed."""
    return int(result.rowcount)
