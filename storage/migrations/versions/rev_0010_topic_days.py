"""Each topic's figures per day (topic_days), and the indexes that find what changed since
they were counted: a period's topics page adds up days instead of reading its inquiries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create topic_days and the three change indexes."""
    op.create_table(
        "topic_days",
        sa.Column("topic_id", sa.String(length=40), nullable=False),
        sa.Column("day", _TIME, nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("figures", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("topic_id", "day", name=op.f("pk_topic_days")),
    )
    op.create_index(op.f("ix_topic_days_day_topic_id_volume"), "topic_days",
                    ["day", "topic_id", "volume"])
    op.create_index("ix_inquiry_clusters_assigned_at", "inquiry_clusters", ["assigned_at"])
    op.create_index("ix_feedback_updated_at", "feedback", ["updated_at"])
    op.create_index("ix_escalations_created_at", "escalations", ["created_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_escalations_created_at", table_name="escalations")
    op.drop_index("ix_feedback_updated_at", table_name="feedback")
    op.drop_index("ix_inquiry_clusters_assigned_at", table_name="inquiry_clusters")
    op.drop_index(op.f("ix_topic_days_day_topic_id_volume"), table_name="topic_days")
    op.drop_table("topic_days")
