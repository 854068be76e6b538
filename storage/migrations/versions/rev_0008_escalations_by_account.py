"""Escalations indexed by account: account health and an account's page read them per account.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index escalations.account_id."""
    # if_not_exists: a database migrated while 0004 briefly carried this index has it already.
    op.create_index("ix_escalations_account_id", "escalations", ["account_id"], if_not_exists=True)


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_escalations_account_id", table_name="escalations")
