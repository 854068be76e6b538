"""Topics, bug clusters and knowledge gaps: inquiries' embeddings (kept so re-clustering never
embeds twice), the clusters with stable ids, which inquiry belongs to which, and the gaps with
their draft articles.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "inquiry_embeddings",
        sa.Column("inquiry_id", sa.String(40), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"],
                                name=op.f("fk_inquiry_embeddings_inquiry_id_inquiries")),
        sa.PrimaryKeyConstraint("inquiry_id", name=op.f("pk_inquiry_embeddings")),
    )
    op.create_table(
        "insight_clusters",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("terms", _JSON, nullable=False),
        sa.Column("representative_id", sa.String(40), nullable=True),
        sa.Column("representative", sa.Text(), nullable=True),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("radius", sa.Float(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.Column("fixed_at", _TIME, nullable=True),
        sa.Column("fixed_by", sa.String(200), nullable=True),
        sa.Column("reports_since_fixed", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint("kind IN ('topic', 'bug')", name=op.f("ck_insight_clusters_kind")),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'retired', 'fixed', 'reopened')",
            name=op.f("ck_insight_clusters_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_clusters")),
    )
    op.create_index(op.f("ix_insight_clusters_kind_status"), "insight_clusters",
                    ["kind", "status"])
    op.create_table(
        "inquiry_clusters",
        sa.Column("inquiry_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("cluster_id", sa.String(40), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("assigned_at", _TIME, nullable=False),
        sa.CheckConstraint("kind IN ('topic', 'bug')", name=op.f("ck_inquiry_clusters_kind")),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"],
                                name=op.f("fk_inquiry_clusters_inquiry_id_inquiries")),
        sa.ForeignKeyConstraint(["cluster_id"], ["insight_clusters.id"],
                                name=op.f("fk_inquiry_clusters_cluster_id_insight_clusters")),
        sa.PrimaryKeyConstraint("inquiry_id", "kind", name=op.f("pk_inquiry_clusters")),
    )
    op.create_index(op.f("ix_inquiry_clusters_cluster_id"), "inquiry_clusters", ["cluster_id"])
    op.create_table(
        "knowledge_gaps",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("topic_id", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("doc_id", sa.String(300), nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("reviewed_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint("status IN ('open', 'approved', 'dismissed')",
                           name=op.f("ck_knowledge_gaps_status")),
        sa.ForeignKeyConstraint(["topic_id"], ["insight_clusters.id"],
                                name=op.f("fk_knowledge_gaps_topic_id_insight_clusters")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_gaps")),
        sa.UniqueConstraint("topic_id", "language",
                            name=op.f("uq_knowledge_gaps_topic_id_language")),
    )
    op.create_index(op.f("ix_knowledge_gaps_topic_id"), "knowledge_gaps", ["topic_id"])


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("knowledge_gaps")
    op.drop_table("inquiry_clusters")
    op.drop_table("insight_clusters")
    op.drop_table("inquiry_embeddings")
