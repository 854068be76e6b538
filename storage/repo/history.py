"""Traffic recorded as if it happened earlier (seeded demo data, imported history): an
inquiry, its feedback and its escalation's resolution moved to a given moment, with every row
they wrote. Webhook events still pending for them are dropped: they report nothing that
happens now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import (
    AnswerCitationRow,
    ConversationRow,
    EscalationRow,
    FeedbackRow,
    InquiryRow,
    MessageRow,
    OutboxRow,
    SignalRow,
    utcnow,
)
from storage.repo.base import get_or_raise

# Only events written this recently are the moved rows' own (they were written just now).
_RECENT = timedelta(minutes=10)


def _drop_pending_events(session: Session, key: str, value: str,
                         event: str | None = None) -> None:
    query = select(OutboxRow).where(OutboxRow.status == "pending",
                                    OutboxRow.created_at >= utcnow() - _RECENT)
    if event is not None:
        query = query.where(OutboxRow.event == event)
    stale = [row.id for row in session.scalars(query)
             if (row.payload.get("data") or {}).get(key) == value]
    if stale:
        session.execute(delete(OutboxRow).where(OutboxRow.id.in_(stale)))


def record_inquiry_at(session: Session, inquiry_id: str, at: datetime,
                      decided_at: datetime) -> None:
    """Record a decided inquiry as received at `at` and decided at `decided_at`: its messages,
    escalation, signals and citations too, and its conversation's first and last activity
    (the conversation starts no later than `at`); drop its pending webhook events."""
    conversation_id = get_or_raise(session, InquiryRow, inquiry_id, "inquiry").conversation_id
    session.execute(update(InquiryRow).where(InquiryRow.id == inquiry_id)
                    .values(created_at=at, decided_at=decided_at))
    session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                    .values(updated_at=decided_at))
    session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id,
                                                  ConversationRow.created_at > at)
                    .values(created_at=at))
    session.execute(update(MessageRow).where(MessageRow.inquiry_id == inquiry_id,
                                             MessageRow.role == "customer").values(created_at=at))
    session.execute(update(MessageRow).where(MessageRow.inquiry_id == inquiry_id,
                                             MessageRow.role != "customer")
                    .values(created_at=decided_at))
    session.execute(update(EscalationRow).where(EscalationRow.inquiry_id == inquiry_id)
                    .values(created_at=decided_at, updated_at=decided_at))
    session.execute(update(SignalRow).where(SignalRow.inquiry_id == inquiry_id)
                    .values(created_at=decided_at))
    session.execute(update(AnswerCitationRow).where(AnswerCitationRow.inquiry_id == inquiry_id)
                    .values(created_at=at))
    _drop_pending_events(session, "inquiry_id", inquiry_id)
    session.commit()


def record_feedback_at(session: Session, feedback_id: str, at: datetime) -> None:
    """Record feedback as given at `at`."""
    session.execute(update(FeedbackRow).where(FeedbackRow.id == feedback_id)
                    .values(created_at=at, updated_at=at))
    session.commit()


def record_resolution_at(session: Session, escalation_id: str, at: datetime) -> None:
    """Record a resolved escalation (and the support agent's reply) as resolved at `at`; drop
    its pending escalation.resolved event."""
    session.execute(update(EscalationRow).where(EscalationRow.id == escalation_id)
                    .values(resolved_at=at, updated_at=at, claimed_at=at))
    session.execute(update(MessageRow).where(MessageRow.escalation_id == escalation_id,
                                             MessageRow.role == "agent").values(created_at=at))
    _drop_pending_events(session, "escalation_id", escalation_id, "escalation.resolved")
    session.commit()
