"""Index the live clusters' kind, model, status and update time: a maintenance pass checks
whether the topics changed (their count and latest update) from the index alone instead of
reading every topic row with its centroid.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_insight_clusters_kind_model_status_updated_at", "insight_clusters",
                    ["kind", "model", "status", "updated_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_insight_clusters_kind_model_status_updated_at",
                  table_name="insight_clusters")
