"""Content performance and account health: the sources each answer cited, each account's last
computed health (its band remembered for the band-change webhook), and short-lived snapshots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the tables and fill answer_citations from the answers already stored."""
    citations = op.create_table(
        "answer_citations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("doc_id", sa.String(300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"],
                                name=op.f("fk_answer_citations_inquiry_id_inquiries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_citations")),
        sa.UniqueConstraint("inquiry_id", "doc_id",
                            name=op.f("uq_answer_citations_inquiry_id_doc_id")),
    )
    op.create_index(op.f("ix_answer_citations_conversation_id"), "answer_citations",
                    ["conversation_id"])
    op.create_index(op.f("ix_answer_citations_doc_id"), "answer_citations", ["doc_id"])
    op.create_index(op.f("ix_answer_citations_created_at"), "answer_citations", ["created_at"])
    op.create_table(
        "account_health",
        sa.Column("account_id", sa.String(200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("expansion", sa.Float(), nullable=False),
        sa.Column("health", _JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("band_since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_health")),
    )
    op.create_index(op.f("ix_account_health_computed_at"), "account_health", ["computed_at"])
    op.create_table(
        "insight_snapshots",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_insight_snapshots")),
    )
    _backfill(citations)


def _backfill(citations: sa.Table) -> None:
    # Answers decided before this table existed: their citations are in the stored decision.
    from storage.repo.citations import citation_rows

    bind = op.get_bind()
    inquiries = sa.table(
        "inquiries", sa.column("id"), sa.column("conversation_id"), sa.column("action"),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("decision", sa.JSON()),
    )
    query = sa.select(inquiries.c.id, inquiries.c.conversation_id, inquiries.c.created_at,
                      inquiries.c.decision).where(inquiries.c.action == "answer")
    batch: list[dict[str, object]] = []
    for inquiry_id, conversation_id, created_at, decision in bind.execute(query):
        batch.extend(citation_rows(inquiry_id, conversation_id, created_at, decision))
        if len(batch) >= 1000:
            op.bulk_insert(citations, batch)
            batch = []
    if batch:
        op.bulk_insert(citations, batch)


def downgrade() -> None:
    """Drop the insight tables."""
    op.drop_table("insight_snapshots")
    op.drop_index(op.f("ix_account_health_computed_at"), table_name="account_health")
    op.drop_table("account_health")
    op.drop_index(op.f("ix_answer_citations_created_at"), table_name="answer_citations")
    op.drop_index(op.f("ix_answer_citations_doc_id"), table_name="answer_citations")
    op.drop_index(op.f("ix_answer_citations_conversation_id"), table_name="answer_citations")
    op.drop_table("answer_citations")
