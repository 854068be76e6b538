"""Escalations: opened for a person, claimed, resolved (answering the customer), reopened, learned.

An inquiry's own escalation is written with its decision (storage.repo.inquiries); the ones a
customer asks for are opened here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from errors import ConflictError
from retrieval.types import Ticket
from storage.models import ConversationRow, EscalationRow, InquiryRow, MessageRow, new_id, utcnow
from storage.outbox import emit
from storage.repo.base import get_or_raise, updated
from storage.repo.channels import person_promised
from storage.repo.conversations import get_conversation

TICKET_BODY_TURNS = 5  # customer turns that make up a learned ticket's body


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


def escalation_event(row: EscalationRow, question: str) -> dict[str, Any]:
    """Return a new escalation as sent in the escalation.created webhook."""
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
    emit(session, "escalation.created", escalation_event(row, question))


def escalation_of_inquiry(session: Session, inquiry_id: str) -> EscalationRow | None:
    """Return the first escalation raised for an inquiry, if any."""
    return session.scalar(
        select(EscalationRow)
        .where(EscalationRow.inquiry_id == inquiry_id)
        .order_by(EscalationRow.created_at)
        .limit(1)
    )


def request_human(
    session: Session, conversation_id: str, comment: str | None, notice: str
) -> tuple[EscalationRow, bool]:
    """Escalate a conversation at the customer's request; return it and whether it is new."""
    conversation = get_conversation(session, conversation_id)
    existing = open_escalation_of(session, conversation_id)
    if existing is not None and _join_request(session, existing, comment, notice):
        return existing, False
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
    _add_turns(session, row, comment, notice, now)
    session.flush()
    _escalation_created(session, row, latest.text if latest else (comment or ""))
    session.commit()
    return row, True


def _add_turns(session: Session, row: EscalationRow, comment: str | None, notice: str | None,
               now: datetime) -> None:
    """Add to an escalation's conversation what the customer wrote with their request for a
    person, if anything, and what they were told, if anything."""
    turns = [("customer", comment), ("assistant", notice)]
    for role, text in turns:
        if text:
            session.add(MessageRow(conversation_id=row.conversation_id, role=role, text=text,
                                   escalation_id=row.id, created_at=now))


def _join_request(session: Session, existing: EscalationRow, comment: str | None,
                  notice: str) -> bool:
    """Add a request for a person to the conversation's escalation for another reason (a
    sensitive topic, a bug report): what the customer wrote with it is kept, and from now on
    they wait for a person. Only while it is still open or claimed (a resolve committed in
    between makes this a new request: returns False); the first request's time stays. One that
    began with the request (or with the same question asked again and again) promised a person
    already: only the comment is added. Commits."""
    now = utcnow()
    promised = person_promised(existing, at_start=True)
    added = session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == existing.id, EscalationRow.status.in_(("open", "claimed")))
        .values(updated_at=now, **({} if promised else {
            "person_requested_at": func.coalesce(EscalationRow.person_requested_at, now)}))
        .execution_options(synchronize_session=False)
    )
    if not getattr(added, "rowcount", 0):
        return False
    # The first time, what they were told is kept too (the widget shows it, as for a new
    # request), and a help desk learns the customer now waits for a person.
    first = not promised and existing.person_requested_at is None
    _add_turns(session, existing, comment, notice if first else None, now)
    session.flush()
    session.refresh(existing)
    if first:
        emit(session, "escalation.person_requested", {
            **escalation_event(existing, ""), "comment": (comment or "")[:2000],
            "person_requested_at": (existing.person_requested_at or now).isoformat()})
    session.commit()
    return True

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
    return get_or_raise(session, EscalationRow, escalation_id, "escalation")


def _transition(
    session: Session, escalation_id: str, allowed: Sequence[str], values: dict[str, Any], verb: str
) -> EscalationRow:
    """Move an escalation from one of the allowed states, or raise 409 saying where it is."""
    row = get_escalation(session, escalation_id)
    result = session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status.in_(allowed))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if updated(result) != 1:
        session.rollback()
        session.refresh(row)
        raise ConflictError(
            f"cannot {verb} escalation {escalation_id}: it is {row.status}"
            + (f" (assignee {row.assignee})" if row.assignee else "")
        )
    return row


def _change(
    session: Session, escalation_id: str, allowed: Sequence[str], values: dict[str, Any], verb: str
) -> EscalationRow:
    """Make a transition that changes nothing else, commit it and return the row as stored."""
    row = _transition(session, escalation_id, allowed, values, verb)
    session.commit()
    session.refresh(row)
    return row


def claim_escalation(session: Session, escalation_id: str, assignee: str) -> EscalationRow:
    """Assign an open escalation to someone (claiming one's own claim again is a no-op)."""
    row = get_escalation(session, escalation_id)
    if row.status == "claimed" and row.assignee == assignee:
        return row
    return _change(
        session,
        escalation_id,
        ("open",),
        {"status": "claimed", "assignee": assignee, "claimed_at": utcnow()},
        "claim",
    )


def resolve_escalation(
    session: Session,
    escalation_id: str,
    answer: str,
    tag: str | None,
    actor: str,
    *,
    precedent: str | None = None,
    review: bool = True,
) -> EscalationRow:
    """Resolve with the support agent's answer, delivered into the customer's conversation.

    `precedent` is the answer as it would answer other customers (cleaned; the answer itself
    when not given; empty: nothing to reuse). With `review` it waits for a person's approval
    (`review_precedent`) before it is learned; without, it is approved at once.
    """
    now = utcnow()
    candidate = answer if precedent is None else precedent.strip() or None
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
            "precedent": candidate,
            "precedent_status": None if candidate is None else "pending" if review else "approved",
            "precedent_reviewer": None,
            "precedent_reviewed_at": None,
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
    """Put a claimed or resolved escalation back in the queue (a precedent awaiting review
    leaves the review list: resolving again proposes a new one)."""
    pending = EscalationRow.precedent_status == "pending"
    return _change(
        session,
        escalation_id,
        ("claimed", "resolved"),
        {"status": "open", "assignee": None, "claimed_at": None, "resolved_at": None,
         "precedent_status": case((pending, None), else_=EscalationRow.precedent_status)},
        "reopen",
    )


def list_precedents(
    session: Session, status: str, *, limit: int, offset: int
) -> tuple[list[EscalationRow], int]:
    """Return resolved escalations whose precedent has this review status, oldest first."""
    query = select(EscalationRow).where(EscalationRow.status == "resolved",
                                        EscalationRow.precedent_status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(EscalationRow.resolved_at, EscalationRow.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def review_precedent(
    session: Session, escalation_id: str, *, approve: bool, reviewer: str, text: str | None = None
) -> EscalationRow:
    """Approve (with the reviewer's edit, if any) or reject a resolution's reuse as precedent.

    Only a pending precedent of a resolved escalation can be reviewed, and a rejected one
    approved after all; an approved one has been learned and stays.
    """
    row = get_escalation(session, escalation_id)
    allowed = ("pending", "rejected") if approve else ("pending",)
    values: dict[str, Any] = {
        "precedent_status": "approved" if approve else "rejected",
        "precedent_reviewer": reviewer,
        "precedent_reviewed_at": utcnow(),
        "updated_at": utcnow(),
    }
    if text is not None:
        values["precedent"] = text
    if approve:
        values.update(learned_at=None, learn_error=None)
    result = session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status == "resolved",
               EscalationRow.precedent_status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if updated(result) != 1:
        session.rollback()
        session.refresh(row)
        if row.status != "resolved":
            state = f"it is {row.status}"
        elif row.precedent_status is None:
            state = "its resolution has nothing to reuse"
        else:
            state = f"its precedent is {row.precedent_status}"
        raise ConflictError(
            f"cannot {'approve' if approve else 'reject'} the precedent of escalation "
            f"{escalation_id}: {state}")
    session.commit()
    session.refresh(row)
    return row


def ticket_for(session: Session, row: EscalationRow) -> Ticket:
    """Return a resolved escalation as a labelled past ticket the agent can learn from."""
    resolution = row.precedent or row.resolution
    if resolution is None:
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
        # The customer's words are found by others' questions: their personal data is not.
        body=mask_pii("\n\n".join(turns) or row.detail),
        resolution=resolution,
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


def claim_learning(session: Session, escalation_id: str, hold_s: float) -> bool:
    """Claim a resolution to learn for `hold_s` seconds; False when it is learned already or
    another process holds a claim (several API hosts each run the learning pass)."""
    now = utcnow()
    result = session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status == "resolved",
               EscalationRow.learned_at.is_(None),
               or_(EscalationRow.learn_claimed_until.is_(None),
                   EscalationRow.learn_claimed_until <= now))
        .values(learn_claimed_until=now + timedelta(seconds=hold_s))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def mark_learned(session: Session, escalation_id: str, error: str | None, *,
                 release: bool = False) -> None:
    """Record whether the agent learned a resolution (errors are retried later: by anyone
    at once with `release`, else when the claim runs out)."""
    values: dict[str, Any] = (
        {"learned_at": utcnow(), "learn_error": None, "learn_claimed_until": None}
        if error is None
        else {"learn_error": error[:2000], **({"learn_claimed_until": None} if release else {})}
    )
    session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation_id, EscalationRow.status == "resolved")
        .values(**values)
    )
    session.commit()


def escalations_to_learn(session: Session, limit: int = 50) -> list[EscalationRow]:
    """Return resolved escalations with an approved precedent the agent has not learned yet."""
    return list(
        session.scalars(
            select(EscalationRow)
            .where(EscalationRow.status == "resolved", EscalationRow.learned_at.is_(None),
                   EscalationRow.precedent_status == "approved")
            .order_by(EscalationRow.resolved_at)
            .limit(limit)
        )
    )
