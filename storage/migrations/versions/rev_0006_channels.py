"""Channels: a conversation says where the customer wrote from and when they reopened it; a
channel thread ties a help desk's or mailbox's conversation to a Kotae conversation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    """Add conversations.channel and .reopened_at, and the channel_threads table."""
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("channel", sa.String(32), nullable=True))
        batch.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "channel_threads",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("external_status", sa.String(32), nullable=True),
        sa.Column("human_resolved", sa.Boolean(), nullable=False),
        sa.Column("address", JSON, nullable=True),
        sa.Column("human_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('bot', 'human', 'resolved')", name=op.f("ck_channel_threads_state")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_channel_threads_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_threads")),
        sa.UniqueConstraint(
            "channel", "external_id", name=op.f("uq_channel_threads_channel_external_id")
        ),
    )
    op.create_index(
        op.f("ix_channel_threads_conversation_id"), "channel_threads", ["conversation_id"]
    )


def downgrade() -> None:
    """Drop the channel threads and the conversation columns."""
    op.drop_index(op.f("ix_channel_threads_conversation_id"), table_name="channel_threads")
    op.drop_table("channel_threads")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("reopened_at")
        batch.drop_column("channel")
