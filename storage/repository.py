"""Read and change Kotae's records. Each changing function is one transaction and commits.

State changes use conditional updates (`... WHERE status = 'open'`) so two requests racing
on the same escalation or inquiry cannot both win, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.types import Decision
from errors import ConflictError, NotFoundError
from retrieval.types import Ticket
from storage.models import (
    ApiKeyRow,
    Base,
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
from storage.outbox import emit, event_values

HISTORY_TURNS = 20  # earlier turns given to the agent with each follow-up
TICKET_BODY_TURNS = 5  # customer turns that make up a learned ticket's body


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


_INQUIRIES = _table(InquiryRow)
_INSERT_CONVERSATION = insert(_table(ConversationRow))
_INSERT_INQUIRY = insert(_INQUIRIES)
_INSERT_MESSAGE = insert(_table(MessageRow))


def sha256_hex(value: str) -> str:
    """Return the sha256 of a secret, the only form in which secrets are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def _updated(result: Any) -> int:
    return int(result.rowcount)


# ---------------------------------------------------------------- API keys


def sync_env_keys(
    session: Session, keys: Sequence[tuple[str, str]], *, _retry: bool = False
) -> None:
    """Make the env-sourced keys equal to keys, given as (role, sha256); revoke the rest."""
    now = utcnow()
    wanted = {key_hash: role for role, key_hash in keys}
    rows = {row.key_hash: row for row in session.scalars(select(ApiKeyRow))}
    for key_hash, role in wanted.items():
        row = rows.get(key_hash)
        if row is None:
            session.add(
                ApiKeyRow(
                    id=new_id("key"),
                    key_hash=key_hash,
                    role=role,
                    label=f"{role} (KOTAE_API_KEYS)",
                    source="env",
                    created_at=now,
                )
            )
        elif row.source == "env" and (row.role != role or row.revoked_at is not None):
            row.role, row.revoked_at = role, None
    for key_hash, row in rows.items():
        if row.source == "env" and key_hash not in wanted and row.revoked_at is None:
            row.revoked_at = now
    try:
        session.commit()
    except IntegrityError:
        # Another worker starting at the same moment stored the same keys first: what it
        # stored is what we wanted, so one more pass finds them and has nothing to add.
        session.rollback()
        if _retry:
            raise
        sync_env_keys(session, keys, _retry=True)


def find_api_key(session: Session, key_hash: str) -> ApiKeyRow | None:
    """Return the active key with this hash, if any."""
    return session.scalar(
        select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash, ApiKeyRow.revoked_at.is_(None))
    )


def active_api_keys(session: Session) -> list[ApiKeyRow]:
    """Return every key that is not revoked."""
    return list(session.scalars(select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None))))


def create_api_key(session: Session, role: str, label: str) -> tuple[str, ApiKeyRow]:
    """Create a key and return it in plain text (shown once) with its stored row."""
    prefix = "pk" if role == "widget" else "sk"
    key = f"{prefix}_{secrets.token_urlsafe(24)}"
    row = ApiKeyRow(
        id=new_id("key"),
        key_hash=sha256_hex(key),
        role=role,
        label=label,
        source="db",
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    return key, row


def revoke_api_key(session: Session, key_id: str) -> bool:
    """Revoke a key; return whether it was active."""
    result = session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()
    return _updated(result) == 1


# ---------------------------------------------------------------- conversations


def new_conversation_token() -> str:
    """Return a fresh conversation token for the widget."""
    return secrets.token_urlsafe(32)


def derived_conversation_token(idempotency_key: str, conversation_id: str) -> str:
    """Return the token of a conversation created by a request with this Idempotency-Key.

    Only the token's hash is stored; deriving it lets a retried request be given the
    same token again. The key is required to be long and random, so this is as hard
    to guess as a random token.
    """
    mac = hmac.new(
        idempotency_key.encode(), f"kotae-conversation:{conversation_id}".encode(), hashlib.sha256
    )
    return mac.hexdigest()


def token_matches(conversation: ConversationRow, token: str | None) -> bool:
    """Return whether token is this conversation's token (constant-time comparison)."""
    if not token:
        return False
    return hmac.compare_digest(sha256_hex(token), conversation.token_hash)


def get_conversation(session: Session, conversation_id: str) -> ConversationRow:
    """Return a conversation or raise NotFoundError."""
    row = session.get(ConversationRow, conversation_id)
    if row is None:
        raise NotFoundError(
            f"no conversation {conversation_id!r}",
            hint="omit conversation_id to start a new conversation",
        )
    return row


def conversation_messages(session: Session, conversation_id: str) -> list[MessageRow]:
    """Return a conversation's messages in the order they were written."""
    return list(
        session.scalars(
            select(MessageRow)
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.id)
        )
    )


def open_escalation_of(session: Session, conversation_id: str) -> EscalationRow | None:
    """Return the conversation's open or claimed escalation, if any."""
    return session.scalar(
        select(EscalationRow)
        .where(
            EscalationRow.conversation_id == conversation_id,
            EscalationRow.status.in_(("open", "claimed")),
        )
        .order_by(EscalationRow.created_at.desc())
        .limit(1)
    )


# ---------------------------------------------------------------- inquiries


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
    row = session.get(InquiryRow, inquiry_id)
    if row is None:
        raise NotFoundError(f"no inquiry {inquiry_id!r}")
    return row


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
    if _updated(result) != 1:
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
    return _updated(result)


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


def _escalation_event(row: EscalationRow, question: str) -> dict[str, Any]:
    return {
        "escalation_id": row.id,
        "conversation_id": row.conversation_id,
        "inquiry_id": row.inquiry_id,
        "reason": row.reason,
        "detail": row.detail,
        "tag": row.tag,
        "language": row.language,
        "account_id": row.account_id,
        "question": question[:2000],
        "created_at": row.created_at.isoformat(),
    }


def _escalation_created(session: Session, row: EscalationRow, question: str) -> None:
    emit(session, "escalation.created", _escalation_event(row, question))


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
    select(InquiryRow.conversation_id, InquiryRow.text, ConversationRow.account_id)
    .outerjoin(ConversationRow, ConversationRow.id == InquiryRow.conversation_id)
    .where(InquiryRow.id == bindparam("inquiry_id_"))
)
_INSERT_ESCALATION = insert(_table(EscalationRow))
_INSERT_SIGNAL = insert(_table(SignalRow))
_INSERT_EVENT = insert(_table(OutboxRow))


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
            "decision": decision.model_dump(mode="json"),
            "error": error,
        },
    )
    if _updated(result) != 1:
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
        payload = _escalation_event(EscalationRow(**values), inquiry.text)
        events.append(event_values("escalation.created", payload))
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
            "confidence": signal.confidence,
            "localized": ({lang: text.model_dump() for lang, text in signal.localized.items()}
                          if signal.localized else None),
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


def escalation_of_inquiry(session: Session, inquiry_id: str) -> EscalationRow | None:
    """Return the first escalation raised for an inquiry, if any."""
    return session.scalar(
        select(EscalationRow)
        .where(EscalationRow.inquiry_id == inquiry_id)
        .order_by(EscalationRow.created_at)
        .limit(1)
    )


# ---------------------------------------------------------------- feedback and humans


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


def request_human(
    session: Session, conversation_id: str, comment: str | None, notice: str
) -> tuple[EscalationRow, bool]:
    """Escalate a conversation at the customer's request; return it and whether it is new."""
    get_conversation(session, conversation_id)
    existing = open_escalation_of(session, conversation_id)
    if existing is not None:
        return existing, False
    conversation = get_conversation(session, conversation_id)
    latest = session.scalar(
        select(InquiryRow)
        .where(InquiryRow.conversation_id == conversation_id)
        .order_by(InquiryRow.created_at.desc())
        .limit(1)
    )
    now = utcnow()
    draft = None
    if latest is not None and latest.decision:
        draft = latest.decision.get("answer") or (latest.decision.get("escalation") or {}).get(
            "draft"
        )
    detail = "the customer asked for a person" + (f": {comment}" if comment else "")
    row = EscalationRow(
        id=new_id("esc"),
        conversation_id=conversation_id,
        inquiry_id=latest.id if latest else None,
        status="open",
        reason="human_requested",
        detail=detail,
        tag=latest.tag if latest else None,
        language=(latest.language if latest else None) or conversation.language,
        account_id=conversation.account_id,
        draft=draft,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    if comment:
        session.add(
            MessageRow(
                conversation_id=conversation_id,
                role="customer",
                text=comment,
                escalation_id=row.id,
                created_at=now,
            )
        )
    session.add(
        MessageRow(
            conversation_id=conversation_id,
            role="assistant",
            text=notice,
            escalation_id=row.id,
            created_at=now,
        )
    )
    session.flush()
    _escalation_created(session, row, latest.text if latest else (comment or ""))
    session.commit()
    return row, True


# ---------------------------------------------------------------- escalations


@dataclass(frozen=True)
class EscalationFilter:
    """What the escalation queue is narrowed to."""

    status: str | None = None
    reason: str | None = None
    tag: str | None = None
    language: str | None = None
    min_age_s: float | None = None
    account_id: str | None = None


def list_escalations(
    session: Session, where: EscalationFilter, *, limit: int, offset: int
) -> tuple[list[EscalationRow], int]:
    """Return one page of the queue, oldest first, and the total that match."""
    query = select(EscalationRow)
    if where.status:
        query = query.where(EscalationRow.status == where.status)
    if where.reason:
        query = query.where(EscalationRow.reason == where.reason)
    if where.tag:
        query = query.where(
            func.coalesce(EscalationRow.resolution_tag, EscalationRow.tag) == where.tag
        )
    if where.language:
        query = query.where(EscalationRow.language == where.language)
    if where.account_id:
        query = query.where(EscalationRow.account_id == where.account_id)
    if where.min_age_s is not None:
        query = query.where(
            EscalationRow.created_at <= utcnow() - timedelta(seconds=where.min_age_s)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(EscalationRow.created_at, EscalationRow.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def get_escalation(session: Session, escalation_id: str) -> EscalationRow:
    """Return an escalation or raise NotFoundError."""
    row = session.get(EscalationRow, escalation_id)
    if row is None:
        raise NotFoundError(f"no escalation {escalation_id!r}")
    return row


def _transition(
    session: Session, escalation_id: str, allowed: Sequence[str], values: dict[str, Any], verb: str
) -> EscalationRow:
    row = get_escalation(session, escalation_id)
    result = session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status.in_(allowed))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if _updated(result) != 1:
        session.rollback()
        session.refresh(row)
        raise ConflictError(
            f"cannot {verb} escalation {escalation_id}: it is {row.status}"
            + (f" (assignee {row.assignee})" if row.assignee else "")
        )
    return row


def claim_escalation(session: Session, escalation_id: str, assignee: str) -> EscalationRow:
    """Assign an open escalation to someone (claiming one's own claim again is a no-op)."""
    row = get_escalation(session, escalation_id)
    if row.status == "claimed" and row.assignee == assignee:
        return row
    row = _transition(
        session,
        escalation_id,
        ("open",),
        {"status": "claimed", "assignee": assignee, "claimed_at": utcnow()},
        "claim",
    )
    session.commit()
    session.refresh(row)
    return row


def resolve_escalation(
    session: Session, escalation_id: str, answer: str, tag: str | None, actor: str
) -> EscalationRow:
    """Resolve with the support agent's answer, delivered into the customer's conversation."""
    now = utcnow()
    row = _transition(
        session,
        escalation_id,
        ("open", "claimed"),
        {
            "status": "resolved",
            "resolution": answer,
            "resolution_tag": tag,
            "resolved_at": now,
            "assignee": func.coalesce(EscalationRow.assignee, actor),
            "learned_at": None,
            "learn_error": None,
        },
        "resolve",
    )
    session.flush()
    session.refresh(row)
    session.add(
        MessageRow(
            conversation_id=row.conversation_id,
            role="agent",
            text=answer,
            escalation_id=escalation_id,
            author=row.assignee or actor,
            created_at=now,
        )
    )
    emit(
        session,
        "escalation.resolved",
        {
            "escalation_id": row.id,
            "conversation_id": row.conversation_id,
            "inquiry_id": row.inquiry_id,
            "answer": answer,
            "tag": tag or row.tag,
            "assignee": row.assignee,
            "account_id": row.account_id,
            "resolved_at": now.isoformat(),
        },
    )
    session.commit()
    return row


def reopen_escalation(session: Session, escalation_id: str) -> EscalationRow:
    """Put a claimed or resolved escalation back in the queue."""
    row = _transition(
        session,
        escalation_id,
        ("claimed", "resolved"),
        {"status": "open", "assignee": None, "claimed_at": None, "resolved_at": None},
        "reopen",
    )
    session.commit()
    session.refresh(row)
    return row


def ticket_for(session: Session, row: EscalationRow) -> Ticket:
    """Return a resolved escalation as a labelled past ticket the agent can learn from."""
    if row.resolution is None:
        raise ConflictError(f"escalation {row.id} has no resolution to learn from")
    query = select(MessageRow.text).where(
        MessageRow.conversation_id == row.conversation_id, MessageRow.role == "customer"
    )
    if row.inquiry_id is not None:
        own = session.scalar(
            select(MessageRow.id).where(
                MessageRow.inquiry_id == row.inquiry_id, MessageRow.role == "customer"
            )
        )
        if own is not None:
            query = query.where(MessageRow.id <= own)
    turns = list(
        reversed(
            session.scalars(query.order_by(MessageRow.id.desc()).limit(TICKET_BODY_TURNS)).all()
        )
    )
    conversation = session.get(ConversationRow, row.conversation_id)
    return Ticket(
        id=row.id,
        body="\n\n".join(turns) or row.detail,
        resolution=row.resolution,
        tag=row.resolution_tag or row.tag,
        created_at=row.created_at.isoformat(),
        account_id=row.account_id or (conversation.account_id if conversation else None),
        # Detected from the customer's words (retrieval.chunking.ticket_chunk), not the
        # conversation's language: an English question in a Japanese widget is English.
        language=None,
        metadata={
            "escalation_id": row.id,
            "conversation_id": row.conversation_id,
            "origin": "resolved_escalation",
        },
        origin=f"escalation {row.id}",
    )


def mark_learned(session: Session, escalation_id: str, error: str | None) -> None:
    """Record whether the agent learned a resolution (errors are retried later)."""
    values: dict[str, Any] = (
        {"learned_at": utcnow(), "learn_error": None}
        if error is None
        else {"learn_error": error[:2000]}
    )
    session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status == "resolved")
        .values(**values)
    )
    session.commit()


def escalations_to_learn(session: Session, limit: int = 50) -> list[EscalationRow]:
    """Return resolved escalations the agent has not learned yet."""
    return list(
        session.scalars(
            select(EscalationRow)
            .where(EscalationRow.status == "resolved", EscalationRow.learned_at.is_(None))
            .order_by(EscalationRow.resolved_at)
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- signals


@dataclass(frozen=True)
class SignalFilter:
    """What the signals feed is narrowed to."""

    account_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    acked: bool | None = None


def signal_payload(row: SignalRow) -> dict[str, Any]:
    """Return a signal as sent in webhooks."""
    return {
        "signal_id": row.id,
        "kind": row.kind,
        "account_id": row.account_id,
        "evidence": row.evidence,
        "why": row.why,
        "next_step": row.next_step,
        "localized": row.localized,
        "confidence": row.confidence,
        "inquiry_id": row.inquiry_id,
        "conversation_id": row.conversation_id,
        "created_at": row.created_at.isoformat(),
    }


def _signal_query(where: SignalFilter) -> Select[SignalRow]:
    query = select(SignalRow)
    if where.account_id:
        query = query.where(SignalRow.account_id == where.account_id)
    if where.kind:
        query = query.where(SignalRow.kind == where.kind)
    if where.since:
        query = query.where(SignalRow.created_at >= where.since)
    if where.until:
        query = query.where(SignalRow.created_at < where.until)
    if where.acked is not None:
        query = query.where(
            SignalRow.acked_at.is_not(None) if where.acked else SignalRow.acked_at.is_(None)
        )
    return query


def list_signals(
    session: Session, where: SignalFilter, *, limit: int, offset: int
) -> tuple[list[SignalRow], int]:
    """Return one page of signals, newest first, and the total that match."""
    query = _signal_query(where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SignalRow.created_at.desc(), SignalRow.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def iter_signals(session: Session, where: SignalFilter, batch: int = 500) -> Iterator[SignalRow]:
    """Yield every matching signal, oldest first, without loading them all at once."""
    offset = 0
    while True:
        rows = session.scalars(
            _signal_query(where)
            .order_by(SignalRow.created_at, SignalRow.id)
            .limit(batch)
            .offset(offset)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def ack_signal(session: Session, signal_id: str, actor: str) -> SignalRow:
    """Mark a signal seen (acknowledging twice keeps the first acknowledgement)."""
    row = session.get(SignalRow, signal_id)
    if row is None:
        raise NotFoundError(f"no signal {signal_id!r}")
    session.execute(
        update(SignalRow)
        .where(SignalRow.id == signal_id, SignalRow.acked_at.is_(None))
        .values(acked_at=utcnow(), acked_by=actor)
    )
    session.commit()
    session.refresh(row)
    return row


# ---------------------------------------------------------------- analytics


@dataclass
class Summary:
    """What happened to the inquiries received in a period."""

    since: datetime | None
    until: datetime | None
    inquiries: int = 0
    pending: int = 0
    decided: int = 0
    answered: int = 0
    escalated: int = 0
    deflected: int = 0  # answered and never escalated afterwards
    failed: int = 0  # the agent failed and the inquiry was escalated instead
    reasons: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    feedback: int = 0
    helpful: int = 0
    latency_median_ms: float | None = None
    latency_p95_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    signals: dict[str, int] = field(default_factory=dict)

    @property
    def deflection_rate(self) -> float | None:
        """Return the share of decided inquiries answered without a person."""
        return self.deflected / self.decided if self.decided else None

    @property
    def helpful_rate(self) -> float | None:
        """Return the share of feedback that said the answer helped."""
        return self.helpful / self.feedback if self.feedback else None


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Return the nearest-rank q-th percentile (0 < q <= 100) of sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def analytics_summary(session: Session, since: datetime | None, until: datetime | None) -> Summary:
    """Summarise inquiries (and their feedback and signals) created in [since, until)."""
    summary = Summary(since, until)
    conditions = []
    if since is not None:
        conditions.append(InquiryRow.created_at >= since)
    if until is not None:
        conditions.append(InquiryRow.created_at < until)
    escalated_later = exists().where(EscalationRow.inquiry_id == InquiryRow.id)
    rows = session.execute(
        select(
            InquiryRow.status,
            InquiryRow.action,
            InquiryRow.reason,
            InquiryRow.tag,
            InquiryRow.language,
            InquiryRow.latency_ms,
            InquiryRow.prompt_tokens,
            InquiryRow.completion_tokens,
            InquiryRow.cost_usd,
            escalated_later,
        ).where(*conditions)
    ).all()
    reasons: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    latencies: list[float] = []
    for status, action, reason, tag, language, latency, p_tok, c_tok, cost, later in rows:
        summary.inquiries += 1
        if status == "received":
            summary.pending += 1
            continue
        summary.decided += 1
        summary.failed += status == "failed"
        if action == "answer":
            summary.answered += 1
            summary.deflected += not later
        else:
            summary.escalated += 1
        if reason:
            reasons[reason] += 1
        if tag:
            tags[tag] += 1
        if language:
            languages[language] += 1
        if latency is not None:
            latencies.append(float(latency))
        summary.prompt_tokens += p_tok or 0
        summary.completion_tokens += c_tok or 0
        summary.cost_usd += cost or 0.0
    # Escalations the customer asked for after an answer count as reasons too.
    human = (
        select(func.count())
        .select_from(EscalationRow)
        .join(InquiryRow, EscalationRow.inquiry_id == InquiryRow.id)
        .where(
            EscalationRow.reason == "human_requested", InquiryRow.action == "answer", *conditions
        )
    )
    later_human = session.scalar(human) or 0
    if later_human:
        reasons["human_requested"] += later_human
    summary.reasons, summary.tags, summary.languages = dict(reasons), dict(tags), dict(languages)
    latencies.sort()
    summary.latency_median_ms = percentile(latencies, 50)
    summary.latency_p95_ms = percentile(latencies, 95)
    feedback = session.execute(
        select(FeedbackRow.helpful, func.count())
        .join(InquiryRow, FeedbackRow.inquiry_id == InquiryRow.id)
        .where(*conditions)
        .group_by(FeedbackRow.helpful)
    ).all()
    for helpful, count in feedback:
        summary.feedback += count
        summary.helpful += count if helpful else 0
    signal_conditions = []
    if since is not None:
        signal_conditions.append(SignalRow.created_at >= since)
    if until is not None:
        signal_conditions.append(SignalRow.created_at < until)
    for kind, count in session.execute(
        select(SignalRow.kind, func.count()).where(*signal_conditions).group_by(SignalRow.kind)
    ):
        summary.signals[kind] = count
    summary.cost_usd = round(summary.cost_usd, 6)
    return summary
