"""Inquiries: received before anything else happens, leased while answered, decided once, rated.

Recording a decision also writes what it causes (an escalation, signals, their webhook
events) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.types import Decision
from errors import ConflictError
from storage.models import (
    AnswerCitationRow,
    ConversationRow,
    EscalationRow,
    FeedbackRow,
    InquiryRow,
    MessageRow,
    OutboxRow,
    SignalRow,
    new_id,
    utcnow,
)
from storage.outbox import event_values
from storage.repo.base import get_or_raise, sha256_hex, table, updated
from storage.repo.citations import citation_rows
from storage.repo.conversations import (
    derived_conversation_token,
    get_conversation,
    new_conversation_token,
    token_matches,
)
from storage.repo.escalations import escalation_event
from storage.repo.signals import signal_payload

HISTORY_TURNS = 20  # earlier turns given to the agent with each follow-up

_INQUIRIES = table(InquiryRow)
_INSERT_CONVERSATION = insert(table(ConversationRow))
_INSERT_INQUIRY = insert(_INQUIRIES)
_INSERT_MESSAGE = insert(table(MessageRow))


@dataclass(frozen=True)
class Received:
    """An inquiry as stored on arrival, or the earlier one an Idempotency-Key points to."""

    inquiry: InquiryRow
    conversation: ConversationRow
    token: str | None  # the conversation token, when this request may be told it
    replay: bool
    # The conversation's messages before this inquiry, oldest first (not read for a replay).
    history: list[MessageRow] | None = None


def _replay(
    session: Session, inquiry: InquiryRow, idempotency_key: str, request_hash: str | None
) -> Received:
    if request_hash is not None and inquiry.request_hash != request_hash:
        raise ConflictError(
            "this Idempotency-Key was already used for a different request",
            hint="use a new key for a new inquiry; reuse a key only to retry",
        )
    conversation = get_conversation(session, inquiry.conversation_id)
    token = derived_conversation_token(idempotency_key, conversation.id)
    return Received(
        inquiry, conversation, token if token_matches(conversation, token) else None, replay=True
    )


def find_by_idempotency_key(
    session: Session, api_key_id: str, idempotency_key: str
) -> InquiryRow | None:
    """Return the inquiry an API key created with this Idempotency-Key, if any."""
    return session.scalar(
        select(InquiryRow).where(
            InquiryRow.api_key_id == api_key_id,
            InquiryRow.idempotency_key_hash == sha256_hex(idempotency_key),
        )
    )


def receive_inquiry(
    session: Session,
    *,
    text: str,
    conversation_id: str | None,
    customer: dict[str, Any] | None,
    language: str | None,
    api_key_id: str,
    idempotency_key: str | None,
    request_hash: str | None,
    lease_s: float,
) -> Received:
    """Store an inquiry (and its conversation when new) before anything else happens to it."""
    if idempotency_key is not None:
        earlier = find_by_idempotency_key(session, api_key_id, idempotency_key)
        if earlier is not None:
            return _replay(session, earlier, idempotency_key, request_hash)
    now = utcnow()
    token: str | None = None
    connection = session.connection()
    new_conversation: dict[str, Any] | None = None
    if conversation_id is None:
        conversation_id = new_id("conv")
        token = (
            derived_conversation_token(idempotency_key, conversation_id)
            if idempotency_key
            else new_conversation_token()
        )
        new_conversation = {
            "id": conversation_id,
            "token_hash": sha256_hex(token),
            "api_key_id": api_key_id,
            "account_id": (customer or {}).get("account_id"),
            "customer": customer,
            "language": language,
            "created_at": now,
            "updated_at": now,
        }
        conversation = ConversationRow(**new_conversation)
    else:
        conversation = get_conversation(session, conversation_id)
        conversation.updated_at = now
        if customer:
            conversation.customer = customer
            conversation.account_id = customer.get("account_id") or conversation.account_id
    values = {
        "id": new_id("inq"),
        "conversation_id": conversation_id,
        "api_key_id": api_key_id,
        "idempotency_key_hash": sha256_hex(idempotency_key) if idempotency_key else None,
        "request_hash": request_hash,
        "text": text,
        "customer": customer or conversation.customer,
        "requested_language": language,
        "status": "received",
        "attempts": 1,
        "lease_expires_at": now + timedelta(seconds=lease_s),
        "created_at": now,
        # The columns' defaults, spelled out so the row handed back reads as the stored one.
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
    }
    try:
        # Plain Core inserts: this runs once per inquiry, and the ORM's flush cost more than
        # the writes themselves.
        if new_conversation is not None:
            connection.execute(_INSERT_CONVERSATION, new_conversation)
        connection.execute(_INSERT_INQUIRY, values)
        own = connection.execute(
            _INSERT_MESSAGE,
            {
                "conversation_id": conversation_id,
                "role": "customer",
                "text": text,
                "inquiry_id": values["id"],
                "created_at": now,
            },
        ).inserted_primary_key
        assert own is not None  # an INSERT of one row always reports its key
        history = (
            []
            if new_conversation is not None
            else _messages_before(session, conversation_id, int(own[0]), HISTORY_TURNS)
        )
        session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced us and won: answer with its inquiry.
        session.rollback()
        if idempotency_key is None:
            raise
        earlier = find_by_idempotency_key(session, api_key_id, idempotency_key)
        if earlier is None:
            raise
        return _replay(session, earlier, idempotency_key, request_hash)
    return Received(InquiryRow(**values), conversation, token, replay=False, history=history)


def get_inquiry(session: Session, inquiry_id: str) -> InquiryRow:
    """Return an inquiry or raise NotFoundError."""
    return get_or_raise(session, InquiryRow, inquiry_id, "inquiry")


def question_starts(
    session: Session, inquiry_ids: Collection[str], chars: int = 400
) -> dict[str, str]:
    """Return the first characters of each inquiry's text, by inquiry id (for the queue)."""
    if not inquiry_ids:
        return {}
    rows = session.execute(
        select(InquiryRow.id, func.substr(InquiryRow.text, 1, chars)).where(
            InquiryRow.id.in_(set(inquiry_ids))
        )
    ).all()
    return {inquiry_id: text for inquiry_id, text in rows}


def history_before(
    session: Session, inquiry: InquiryRow, turns: int = HISTORY_TURNS
) -> list[MessageRow]:
    """Return up to `turns` messages written before this inquiry's own, oldest first."""
    own = session.scalar(
        select(MessageRow.id).where(
            MessageRow.inquiry_id == inquiry.id, MessageRow.role == "customer"
        )
    )
    return _messages_before(session, inquiry.conversation_id, own, turns)


def _messages_before(
    session: Session, conversation_id: str, own: int | None, turns: int
) -> list[MessageRow]:
    query = select(MessageRow).where(MessageRow.conversation_id == conversation_id)
    if own is not None:
        query = query.where(MessageRow.id < own)
    rows = session.scalars(query.order_by(MessageRow.id.desc()).limit(turns)).all()
    return list(reversed(rows))


def claim_for_retry(session: Session, inquiry_id: str, now: datetime, lease_s: float) -> int | None:
    """Take over an inquiry whose lease has run out; return its attempt number, or None."""
    result = session.execute(
        update(InquiryRow)
        .where(
            InquiryRow.id == inquiry_id,
            InquiryRow.status == "received",
            InquiryRow.lease_expires_at < now,
        )
        .values(attempts=InquiryRow.attempts + 1, lease_expires_at=now + timedelta(seconds=lease_s))
    )
    session.commit()
    if updated(result) != 1:
        return None
    return session.scalar(select(InquiryRow.attempts).where(InquiryRow.id == inquiry_id))


def renew_leases(
    session: Session, inquiry_ids: Collection[str], now: datetime, lease_s: float
) -> int:
    """Extend the leases of inquiries this process is still answering; return how many."""
    if not inquiry_ids:
        return 0
    result = session.execute(
        update(InquiryRow)
        .where(InquiryRow.id.in_(list(inquiry_ids)), InquiryRow.status == "received")
        .values(lease_expires_at=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return updated(result)


def expired_inquiries(session: Session, now: datetime, limit: int = 100) -> list[str]:
    """Return ids of inquiries still `received` whose lease has run out, oldest first."""
    return list(
        session.scalars(
            select(InquiryRow.id)
            .where(InquiryRow.status == "received", InquiryRow.lease_expires_at < now)
            .order_by(InquiryRow.created_at)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Recorded:
    """Whether record_decision stored the decision, and the escalation it opened."""

    recorded: bool
    escalation_id: str | None = None

    def __bool__(self) -> bool:
        return self.recorded


# record_decision runs once per inquiry: its statements are built once, as plain Core on the
# tables (the ORM's unit of work cost about three times as much per decision), and take
# their values as parameters, so each execution is a compiled-cache hit.
_DECIDE = update(_INQUIRIES).where(
    _INQUIRIES.c.id == bindparam("inquiry_id_"), _INQUIRIES.c.status == "received"
)
_DECIDED_CONTEXT = (
    select(InquiryRow.conversation_id, InquiryRow.text, InquiryRow.created_at,
           ConversationRow.account_id)
    .outerjoin(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
    .where(InquiryRow.id == bindparam("inquiry_id_"))
)
_INSERT_ESCALATION = insert(table(EscalationRow))
_INSERT_SIGNAL = insert(table(SignalRow))
_INSERT_EVENT = insert(table(OutboxRow))
_INSERT_CITATION = insert(table(AnswerCitationRow))


def record_decision(
    session: Session,
    inquiry_id: str,
    decision: Decision,
    *,
    status: str,
    notice: str | None,
    error: str | None = None,
) -> Recorded:
    """Store a decision and everything it causes, unless the inquiry was decided already.

    The first decision recorded wins: a late answer after a timeout, or a second worker
    that recovered the same inquiry, changes nothing. The result is true when this call
    recorded, and carries the id of the escalation it opened.
    """
    now = utcnow()
    reason = decision.escalation.reason.value if decision.escalation else None
    stored = decision.model_dump(mode="json")
    connection = session.connection()
    result = connection.execute(
        _DECIDE,
        {
            "inquiry_id_": inquiry_id,
            "status": status,
            "decided_at": now,
            "action": decision.action,
            "reason": reason,
            "tag": decision.tag,
            "language": decision.language,
            "confidence": decision.confidence,
            "latency_ms": decision.latency_ms,
            "prompt_tokens": decision.usage.prompt_tokens,
            "completion_tokens": decision.usage.completion_tokens,
            "cost_usd": decision.usage.cost_usd,
            "mode": decision.mode,
            "decision": stored,
            "error": error,
        },
    )
    if updated(result) != 1:
        session.rollback()
        return Recorded(False)
    inquiry = connection.execute(_DECIDED_CONTEXT, {"inquiry_id_": inquiry_id}).one()
    account_id = inquiry.account_id
    events: list[dict[str, Any]] = []
    escalation_id: str | None = None
    if decision.action == "escalate":
        escalation = decision.escalation
        escalation_id = new_id("esc")
        values = {
            "id": escalation_id,
            "conversation_id": inquiry.conversation_id,
            "inquiry_id": inquiry_id,
            "status": "open",
            "reason": reason or "low_confidence",
            "detail": escalation.detail if escalation else "",
            "tag": decision.tag,
            "language": decision.language,
            "account_id": account_id,
            "draft": escalation.draft if escalation else None,
            "created_at": now,
            "updated_at": now,
        }
        connection.execute(_INSERT_ESCALATION, values)
        payload = escalation_event(EscalationRow(**values), inquiry.text)
        events.append(event_values("escalation.created", payload))
    cited = citation_rows(inquiry_id, inquiry.conversation_id, inquiry.created_at, stored)
    if cited:
        connection.execute(_INSERT_CITATION, cited)
    text = decision.answer if decision.action == "answer" else notice
    if text:
        connection.execute(
            _INSERT_MESSAGE,
            {
                "conversation_id": inquiry.conversation_id,
                "role": "assistant",
                "text": text,
                "inquiry_id": inquiry_id,
                "escalation_id": escalation_id,
                "created_at": now,
            },
        )
    signals = [
        {
            "id": new_id("sig"),
            "inquiry_id": inquiry_id,
            "conversation_id": inquiry.conversation_id,
            "kind": signal.kind.value,
            "account_id": signal.account_id or account_id,
            "evidence": signal.evidence,
            "why": signal.why,
            "next_step": signal.next_step,
            "localized": ({lang: text.model_dump() for lang, text in signal.localized.items()}
                          if signal.localized else None),
            "confidence": signal.confidence,
            "created_at": now,
        }
        for signal in decision.signals
    ]
    if signals:
        connection.execute(_INSERT_SIGNAL, signals)
        events.extend(
            event_values("signal.created", signal_payload(SignalRow(**values)))
            for values in signals
        )
    if events:
        connection.execute(_INSERT_EVENT, events)
    session.commit()
    return Recorded(True, escalation_id)


def record_feedback(
    session: Session, inquiry_id: str, helpful: bool, comment: str | None
) -> FeedbackRow:
    """Store (or replace) the customer's feedback on one inquiry's answer."""
    get_inquiry(session, inquiry_id)
    now = utcnow()
    row = session.scalar(select(FeedbackRow).where(FeedbackRow.inquiry_id == inquiry_id))
    if row is None:
        row = FeedbackRow(
            id=new_id("fb"),
            inquiry_id=inquiry_id,
            helpful=helpful,
            comment=comment,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
    else:
        row.helpful, row.comment, row.updated_at = helpful, comment, now
    try:
        session.commit()
    except IntegrityError:  # two first feedbacks raced: apply ours over the winner's
        session.rollback()
        return record_feedback(session, inquiry_id, helpful, comment)
    return row
