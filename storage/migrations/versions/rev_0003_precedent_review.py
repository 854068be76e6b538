"""A resolution is reused for other customers only once it is cleaned and, where the policy asks
for review, approved: escalations keep the cleaned candidate and its review.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the precedent and its review; resolutions made before review existed count as
    approved (they were learned, or are being retried, under the rules of their time)."""
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("precedent", sa.Text(), nullable=True))
        batch.add_column(sa.Column("precedent_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("precedent_reviewer", sa.String(200), nullable=True))
        batch.add_column(sa.Column("precedent_reviewed_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_check_constraint(
            op.f("ck_escalations_precedent_status"),
            "precedent_status IN ('pending', 'approved', 'rejected')")
    op.execute(
        "UPDATE escalations SET precedent = resolution, precedent_status = 'approved' "
        "WHERE status = 'resolved' AND resolution IS NOT NULL")


def downgrade() -> None:
    """Drop the precedent columns (learned tickets stay in the index)."""
    with op.batch_alter_table("escalations") as batch:
        batch.drop_constraint(op.f("ck_escalations_precedent_status"), type_="check")
        batch.drop_column("precedent_reviewed_at")
        batch.drop_column("precedent_reviewer")
        batch.drop_column("precedent_status")
        batch.drop_column("precedent")
