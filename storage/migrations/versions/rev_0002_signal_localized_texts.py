"""Signals keep their why and next step in every language the product speaks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the model type: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    """Add signals.localized: {"en": {"why", "next_step"}, "ja": {...}}; NULL for older rows."""
    with op.batch_alter_table("signals") as batch:
        batch.add_column(sa.Column("localized", JSON, nullable=True))


def downgrade() -> None:
    """Drop signals.localized (the English why and next step stay)."""
    with op.batch_alter_table("signals") as batch:
        batch.drop_column("localized")
