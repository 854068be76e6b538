"""The index catalog in the operational database, so several API hosts share one index
(KOTAE_CATALOG=database), and a claim on learning a resolution so one host learns it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the catalog tables and escalations.learn_claimed_until."""
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("learn_claimed_until", sa.DateTime(timezone=True),
                                   nullable=True))
    op.create_table(
        "catalog_meta",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_catalog_meta")),
    )
    op.create_table(
        "catalog_generations",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_catalog_generations")),
    )
    op.create_table(
        "catalog_documents",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "doc_id", name=op.f("pk_catalog_documents")),
    )
    op.create_table(
        "catalog_chunks",
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("chunk_id", sa.Text(), nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source", "chunk_id", name=op.f("pk_catalog_chunks")),
    )
    op.create_index("ix_catalog_chunks_by_doc", "catalog_chunks",
                    ["source", "doc_id", "position"])


def downgrade() -> None:
    """Drop the catalog tables (a store's catalog can be migrated in again) and the claim."""
    op.drop_index("ix_catalog_chunks_by_doc", table_name="catalog_chunks")
    for table in ("catalog_chunks", "catalog_documents", "catalog_generations", "catalog_meta"):
        op.drop_table(table)
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("learn_claimed_until")
