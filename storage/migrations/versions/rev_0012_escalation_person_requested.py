"""Remember that a customer asked for a person while their escalation for another reason was
open (a sensitive topic, a bug report): the conversation then waits for that person, and the
bot stays silent in it, as for an escalation that began with the request.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column."""
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("person_requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("person_requested_at")
