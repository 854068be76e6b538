"""Initial schema: conversations, messages, inquiries, escalations, signals, feedback, keys, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, table: str, values: Sequence[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        _one_of("role", "api_keys", ("widget", "agent", "csm", "admin")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=True),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("customer", JSON, nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    _index("conversations", "account_id")
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("next_attempt_at"),
        _ts("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _one_of("status", "webhook_outbox", ("pending", "delivered", "dead")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
    )
    _index("webhook_outbox", "status", "next_attempt_at")
    op.create_table(
        "inquiries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=True),
        sa.Column("idempotency_key_hash", sa.String(64), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("customer", JSON, nullable=True),
        sa.Column("requested_language", sa.String(8), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("lease_expires_at"),
        _ts("created_at"),
        _ts("decided_at", nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("tag", sa.String(80), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("decision", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _one_of("status", "inquiries", ("received", "decided", "failed")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_inquiries_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
        sa.UniqueConstraint(
            "api_key_id",
            "idempotency_key_hash",
            name=op.f("uq_inquiries_api_key_id_idempotency_key_hash"),
        ),
    )
    _index("inquiries", "conversation_id")
    _index("inquiries", "created_at")
    _index("inquiries", "status", "lease_expires_at")
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=True),
        sa.Column("escalation_id", sa.String(40), nullable=True),
        sa.Column("author", sa.String(200), nullable=True),
        _ts("created_at"),
        _one_of("role", "messages", ("customer", "assistant", "agent")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    _index("messages", "conversation_id")
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("tag", sa.String(80), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolution_tag", sa.String(80), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("claimed_at", nullable=True),
        _ts("resolved_at", nullable=True),
        _ts("learned_at", nullable=True),
        sa.Column("learn_error", sa.Text(), nullable=True),
        _one_of("status", "escalations", ("open", "claimed", "resolved")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_escalations_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_escalations_inquiry_id_inquiries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    _index("escalations", "conversation_id")
    _index("escalations", "inquiry_id")
    _index("escalations", "status", "created_at")
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_feedback_inquiry_id_inquiries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("inquiry_id", name=op.f("uq_feedback_inquiry_id")),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("inquiry_id", sa.String(40), nullable=True),
        sa.Column("conversation_id", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _ts("created_at"),
        _ts("acked_at", nullable=True),
        sa.Column("acked_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_signals_inquiry_id_inquiries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    _index("signals", "account_id")
    _index("signals", "created_at")
    _index("signals", "inquiry_id")


def downgrade() -> None:
    """Drop every table (all data is lost)."""
    for table in (
        "signals",
        "feedback",
        "escalations",
        "messages",
        "inquiries",
        "webhook_outbox",
        "conversations",
        "api_keys",
    ):
        op.drop_table(table)
