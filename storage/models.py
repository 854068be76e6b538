"""The tables behind the API, as typed SQLAlchemy 2 models.

Timestamps are timezone-aware UTC in Python on every database (SQLite stores them naive).
Ids are short prefixed random strings (`inq_…`, `esc_…`) so logs and URLs say what they name.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

INQUIRY_STATUSES = ("received", "decided", "failed")
ESCALATION_STATUSES = ("open", "claimed", "resolved")
PRECEDENT_STATUSES = ("pending", "approved", "rejected")
MESSAGE_ROLES = ("customer", "assistant", "agent")
OUTBOX_STATUSES = ("pending", "delivered", "dead")
API_KEY_ROLES = ("widget", "agent", "csm", "admin")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """Return a fresh random id such as `inq_3f9c…`."""
    return f"{prefix}_{secrets.token_hex(12)}"


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass a timezone-aware value")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text comparisons order correctly.
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQL NULL (not JSON null) for None, so "IS NULL" means what it says.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


class ConversationRow(Base):
    """A chat between one customer and Kotae (and, after an escalation, a person)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the widget's token
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    account_id: Mapped[str | None] = mapped_column(String(200), index=True)
    customer: Mapped[dict[str, Any] | None]
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the customer wrote from: NULL for the widget, else a channel's name ("chatwoot").
    channel: Mapped[str | None] = mapped_column(String(32))
    # When the customer last wrote again after a person resolved it: it stays with people.
    reopened_at: Mapped[datetime | None]


class MessageRow(Base):
    """One turn of a conversation: the customer's, Kotae's or a support agent's."""

    __tablename__ = "messages"
    __table_args__ = (_one_of("role", MESSAGE_ROLES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    inquiry_id: Mapped[str | None] = mapped_column(String(40))
    escalation_id: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InquiryRow(Base):
    """An inquiry, committed before the agent sees it, and the decision once made."""

    __tablename__ = "inquiries"
    __table_args__ = (
        _one_of("status", INQUIRY_STATUSES),
        UniqueConstraint("api_key_id", "idempotency_key_hash"),
        Index(None, "status", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    idempotency_key_hash: Mapped[str | None] = mapped_column(String(64))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    customer: Mapped[dict[str, Any] | None]
    requested_language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="received")
    # Crash recovery: whoever holds an unexpired lease is answering; an expired one is
    # picked up again, and after too many attempts the inquiry is escalated unanswered.
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    lease_expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
    action: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    tag: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    mode: Mapped[str | None] = mapped_column(String(16))
    decision: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)


class EscalationRow(Base):
    """An inquiry handed to a person, with why and a draft; resolving it teaches the agent."""

    __tablename__ = "escalations"
    __table_args__ = (
        _one_of("status", ESCALATION_STATUSES),
        _one_of("precedent_status", PRECEDENT_STATUSES),
        Index(None, "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    tag: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str | None] = mapped_column(String(8))
    account_id: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    draft: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolution_tag: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # When the customer asked for a person while this escalation (for another reason) was
    # open: the conversation then waits for that person (storage.repo.channels.hold_of).
    person_requested_at: Mapped[datetime | None]
    learned_at: Mapped[datetime | None]  # when the resolution was indexed as a past ticket
    learn_error: Mapped[str | None] = mapped_column(Text)
    # The resolution as it would answer other customers (cleaned: no greeting, names,
    # signature, edit notes or personal data), and whether a person approved that reuse:
    # pending until reviewed where the policy asks for review; only an approved one is learned.
    precedent: Mapped[str | None] = mapped_column(Text)
    precedent_status: Mapped[str | None] = mapped_column(String(16))
    precedent_reviewer: Mapped[str | None] = mapped_column(String(200))
    precedent_reviewed_at: Mapped[datetime | None]
    # Until when one process is teaching the agent this resolution: with several API hosts,
    # the first to claim it learns it and the others leave it alone (a failed attempt keeps
    # the claim until its retry is due).
    learn_claimed_until: Mapped[datetime | None]


class SignalRow(Base):
    """An expansion or churn-risk signal for a customer-success manager."""

    __tablename__ = "signals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str | None] = mapped_column(String(200), index=True)
    evidence: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acked_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(200))
    # Why and next step in each language ({"en": {"why", "next_step"}, "ja": ...}), so a
    # console shows its own; NULL for signals raised before it was kept.
    localized: Mapped[dict[str, Any] | None]


class FeedbackRow(Base):
    """A customer's "did this help?" on one answer; the latest word counts."""

    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), unique=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKeyRow(Base):
    """An API key, stored as its sha256 only, with the role it grants."""

    __tablename__ = "api_keys"
    __table_args__ = (_one_of("role", API_KEY_ROLES),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="db")  # "env": from KOTAE_API_KEYS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class OutboxRow(Base):
    """A webhook event, written in the same transaction as the change it reports."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- insights: content and accounts


class AnswerCitationRow(Base):
    """A source an answer cited, written with the decision, so content performance is a join."""

    __tablename__ = "answer_citations"
    __table_args__ = (UniqueConstraint("inquiry_id", "doc_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"))
    conversation_id: Mapped[str] = mapped_column(String(40), index=True)
    doc_id: Mapped[str] = mapped_column(String(300), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="kb")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AccountHealthRow(Base):
    """An account's health as last computed: its score, band and visible parts.

    The band is remembered so that crossing into another one is reported once
    (the `account.health_changed` webhook).
    """

    __tablename__ = "account_health"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    expansion: Mapped[float] = mapped_column(Float, default=0.0)
    health: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    band_since: Mapped[datetime] = mapped_column(default=utcnow)


# An account's escalations are read per account (its health, its page).
Index("ix_escalations_account_id", EscalationRow.account_id)


class InsightSnapshotRow(Base):
    """A computed insight kept for a short while, so pages read it instead of recomputing."""

    __tablename__ = "insight_snapshots"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- index catalog
# The index catalog in the operational database (KOTAE_CATALOG=database): what every API host
# needs to agree on about the knowledge base and the past tickets. retrieval.db_catalog reads
# and writes these; the default single-host store keeps the same records in a SQLite file
# beside embedded Chroma (retrieval.catalog).


class CatalogMetaRow(Base):
    """A store setting: the embedder, the vector languages, the taxonomy, the crash flag, the
    writer's lease on SQLite."""

    __tablename__ = "catalog_meta"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CatalogGenerationRow(Base):
    """A number that changes whenever one source's documents change: hosts poll it and
    rebuild their in-memory copies (BM25 matrices, exact vectors, HNSW) when it moves."""

    __tablename__ = "catalog_generations"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogDocumentRow(Base):
    """An indexed document or ticket: its content hash (unchanged content is skipped) and
    the record it was indexed from."""

    __tablename__ = "catalog_documents"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    doc_id: Mapped[str] = mapped_column(Text, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(Text)
    record: Mapped[str] = mapped_column(Text)  # JSON, as the embedded catalog keeps it
    chunk_count: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogChunkRow(Base):
    """A chunk: its text and lexical terms (BM25 is rebuilt from these on every host)."""

    __tablename__ = "catalog_chunks"
    __table_args__ = (Index("ix_catalog_chunks_by_doc", "source", "doc_id", "position"),)

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    chunk_id: Mapped[str] = mapped_column(Text, primary_key=True)
    doc_id: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    heading: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)  # space-separated
    tokens: Mapped[int] = mapped_column(Integer)
    chunk_metadata: Mapped[str] = mapped_column("metadata", Text)  # JSON



# ---------------------------------------------------------------- channels (help desks, e-mail)

THREAD_STATES = ("bot", "human", "resolved")


class ChannelThreadRow(Base):
    """A conversation as a help desk or mailbox knows it, tied to one Kotae conversation.

    `state` is who holds it: the bot, a person (an agent claimed or replied, or Kotae handed
    it over), or nobody (resolved). `human_resolved` remembers that a person resolved it, so
    that a customer who reopens it goes back to a person, not to the bot.
    """

    __tablename__ = "channel_threads"
    __table_args__ = (
        _one_of("state", THREAD_STATES),
        UniqueConstraint("channel", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="bot")
    external_status: Mapped[str | None] = mapped_column(String(32))
    human_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    # How to reach the thread again (a help desk's account and conversation ids, a mailbox's
    # Message-ID chain), as the channel module needs it.
    address: Mapped[dict[str, Any] | None]
    human_since: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------------
# Insights: topics, bug clusters and knowledge gaps (insights/)

INSIGHT_KINDS = ("topic", "bug")
INSIGHT_STATUSES = ("active", "merged", "retired", "fixed", "reopened")
GAP_STATUSES = ("open", "approved", "dismissed")


class InquiryEmbeddingRow(Base):
    """An inquiry's embedding, kept so that re-clustering never embeds it again."""

    __tablename__ = "inquiry_embeddings"

    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), primary_key=True)
    model: Mapped[str] = mapped_column(String(120))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float16, little-endian, unit length
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InsightClusterRow(Base):
    """A topic or a bug cluster: inquiries that mean the same, with a stable id and a name."""

    __tablename__ = "insight_clusters"
    __table_args__ = (
        _one_of("kind", INSIGHT_KINDS),
        _one_of("status", INSIGHT_STATUSES),
        Index(None, "kind", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="active")
    label: Mapped[str] = mapped_column(String(300))  # its most distinctive terms
    name: Mapped[str | None] = mapped_column(String(200))  # an admin's name for it
    terms: Mapped[dict[str, Any]]  # {"all": [...], "en": [...], "ja": [...]}
    representative_id: Mapped[str | None] = mapped_column(String(40))  # an inquiry id
    representative: Mapped[str | None] = mapped_column(Text)  # its question, PII masked
    model: Mapped[str] = mapped_column(String(120))
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # float32, unit length
    radius: Mapped[float] = mapped_column(Float)  # a new inquiry this close or closer joins
    size: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[str | None] = mapped_column(String(40))
    fixed_at: Mapped[datetime | None]
    fixed_by: Mapped[str | None] = mapped_column(String(200))
    reports_since_fixed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InquiryClusterRow(Base):
    """Which topic (and, for a bug report, which bug cluster) an inquiry belongs to."""

    __tablename__ = "inquiry_clusters"
    __table_args__ = (
        _one_of("kind", INSIGHT_KINDS),
        # A period's inquiries per topic, read from the index alone (insights.topics).
        Index(None, "kind", "inquiry_created_at", "cluster_id", "inquiry_id"),
    )

    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(ForeignKey("insight_clusters.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))  # "fit" (a re-cluster) or "incremental"
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    inquiry_created_at: Mapped[datetime | None]  # the inquiry's created_at, copied


class KnowledgeGapRow(Base):
    """A topic that people answer and no article covers, with a draft article for it."""

    __tablename__ = "knowledge_gaps"
    __table_args__ = (
        _one_of("status", GAP_STATUSES),
        UniqueConstraint("topic_id", "language"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("insight_clusters.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    title: Mapped[str] = mapped_column(Text)
    draft: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]  # {"escalations": [...], "inquiries": [...], counts}
    doc_id: Mapped[str | None] = mapped_column(String(300))
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------------
# Topics: each topic's figures per day (insights/topic_days.py)


class TopicDayRow(Base):
    """One topic's figures over one UTC day, kept so that a period's topics page adds up a
    few rows per topic instead of reading the period's inquiries."""

    __tablename__ = "topic_days"
    __table_args__ = (Index(None, "day", "topic_id", "volume"),)

    topic_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)  # 00:00 UTC
    volume: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]]  # insights.topic_days.Figures.as_json()


# What changed since the figures were last counted, found through these.
Index("ix_inquiry_clusters_assigned_at", InquiryClusterRow.assigned_at)
Index("ix_feedback_updated_at", FeedbackRow.updated_at)
Index("ix_escalations_created_at", EscalationRow.created_at)
# Whether the live clusters changed (their count and latest update), read from this index
# alone by every maintenance pass (insights.store.live_centroids).
Index("ix_insight_clusters_kind_model_status_updated_at", InsightClusterRow.kind,
      InsightClusterRow.model, InsightClusterRow.status, InsightClusterRow.updated_at)
