"""An inquiry's topic (or bug cluster) row carries the inquiry's creation time, indexed with
the kind and the cluster: a period's counts per topic are one range over that index instead of
joining every inquiry of the period to its topic.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add inquiry_clusters.inquiry_created_at, fill it from the inquiries, index it."""
    op.add_column("inquiry_clusters",
                  sa.Column("inquiry_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE inquiry_clusters SET inquiry_created_at = (SELECT inquiries.created_at "
               "FROM inquiries WHERE inquiries.id = inquiry_clusters.inquiry_id)")
    op.create_index(op.f("ix_inquiry_clusters_kind_inquiry_created_at_cluster_id_inquiry_id"),
                    "inquiry_clusters", ["kind", "inquiry_created_at", "cluster_id", "inquiry_id"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(op.f("ix_inquiry_clusters_kind_inquiry_created_at_cluster_id_inquiry_id"),
                  table_name="inquiry_clusters")
    with op.batch_alter_table("inquiry_clusters") as batch:
        batch.drop_column("inquiry_created_at")
