"""Stored rows turned into the response schemas, showing each caller only what it may see."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy.orm import Session

from agent.markup import to_html
from service.access import Principal
from service.schemas import (
    ConversationOut,
    EscalationOut,
    InquiryOut,
    MessageOut,
    PrecedentOut,
    SignalOut,
)
from storage import processing
from storage.models import ConversationRow, EscalationRow, MessageRow, SignalRow, utcnow
from storage.repo import conversations, escalations


@functools.lru_cache(maxsize=2048)
def display_html(text: str) -> str:
    """Return an answer's or reply's Markdown as the sanitised HTML the widget shows."""
    # Cached: an open widget reads its conversation every few seconds, and messages never change.
    return to_html(text)


def message_out(row: MessageRow) -> MessageOut:
    """Return one stored message; the assistant's and agents' with their HTML."""
    message = MessageOut.model_validate(row, from_attributes=True)
    if message.role == "customer" or not message.text:
        return message  # a customer's words are shown as they typed them, never as markup
    # Kotae's message that came with an escalation is the hand-over notice.
    handed_over = message.role == "assistant" and row.escalation_id is not None
    return message.model_copy(update={"text_html": display_html(message.text),
                                      "handed_over": handed_over})


def conversation_out(
    session: Session, row: ConversationRow, principal: Principal | None = None
) -> ConversationOut:
    """Return a conversation with every message (a widget caller sees no authors)."""
    escalation = escalations.open_escalation_of(session, row.id)
    messages = [message_out(m) for m in conversations.conversation_messages(session, row.id)]
    if principal is not None and principal.role == "widget":
        # Customers see that support replied, not which colleague or key did.
        messages = [m.model_copy(update={"author": None}) for m in messages]
    return ConversationOut(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        account_id=row.account_id,
        language=row.language,
        messages=messages,
        open_escalation_id=escalation.id if escalation else None,
    )


def escalation_fields(row: EscalationRow) -> dict[str, Any]:
    """Return an escalation's fields as the queue shows them (the tag a person gave wins)."""
    return {
        "id": row.id,
        "status": row.status,
        "reason": row.reason,
        "detail": row.detail,
        "tag": row.resolution_tag or row.tag,
        "language": row.language,
        "account_id": row.account_id,
        "assignee": row.assignee,
        "conversation_id": row.conversation_id,
        "inquiry_id": row.inquiry_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "claimed_at": row.claimed_at,
        "resolved_at": row.resolved_at,
        "person_requested_at": row.person_requested_at,
        "age_s": round((utcnow() - row.created_at).total_seconds(), 3),
        "resolution": row.resolution,
        "resolution_tag": row.resolution_tag,
        "learned": row.learned_at is not None,
        "precedent_status": row.precedent_status,
    }


PREVIEW_CHARS = 200


def preview_of(question: str | None) -> str | None:
    """Return the start of a question on one line, for the queue."""
    if not question:
        return None
    line = " ".join(question.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1].rstrip() + "…"


def escalation_out(row: EscalationRow, question: str | None = None) -> EscalationOut:
    """Return an escalation as listed in the queue, with the start of its question."""
    return EscalationOut(**escalation_fields(row), preview=preview_of(question))


def precedent_out(row: EscalationRow, question: str | None) -> PrecedentOut:
    """Return a resolution's proposed reuse and its review."""
    assert row.precedent is not None and row.precedent_status is not None  # listed ones have
    return PrecedentOut(
        escalation_id=row.id,
        status=row.precedent_status,
        precedent=row.precedent,
        resolution=row.resolution or "",
        question=question,
        tag=row.resolution_tag or row.tag,
        language=row.language,
        account_id=row.account_id,
        assignee=row.assignee,
        resolved_at=row.resolved_at,
        reviewer=row.precedent_reviewer,
        reviewed_at=row.precedent_reviewed_at,
        learned=row.learned_at is not None,
    )


def signal_out(row: SignalRow) -> SignalOut:
    """Return a stored signal."""
    return SignalOut.model_validate(row, from_attributes=True)


def inquiry_out(
    outcome: processing.Outcome, token: str | None, principal: Principal
) -> InquiryOut:
    """Return the decision on an inquiry, without what the public widget may not see."""
    decision = outcome.decision
    if principal.role == "widget":
        # The widget is public: drafts were judged unfit to send, retrieved passages may be
        # other customers' tickets, and signals are for the CSM.
        # The reason only: the detail says which rule or pattern matched, which would teach
        # an attacker what to avoid; agents read it in the queue.
        escalation = (
            decision.escalation.model_copy(update={"draft": None, "detail": ""})
            if decision.escalation else None
        )
        decision = decision.model_copy(
            update={"escalation": escalation, "retrieved": [], "signals": [],
                    # an escalation's candidate may be another customer's ticket
                    "candidate": decision.candidate if decision.action == "answer" else None}
        )
    shown = decision.answer or outcome.notice
    return InquiryOut(
        inquiry_id=outcome.inquiry_id,
        conversation_id=outcome.conversation_id,
        conversation_token=token,
        status="answered" if decision.action == "answer" else "escalated",
        decision=decision,
        escalation_id=outcome.escalation_id,
        notice=outcome.notice,
        degraded=outcome.degraded,
        answer_html=display_html(shown) if shown else None,
    )
