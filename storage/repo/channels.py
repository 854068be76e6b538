"""Channel threads and who holds a conversation: the bot, or a person.

A thread ties a help desk's or mailbox's conversation to one Kotae conversation. `hold_of`
answers, for any conversation (the widget's too), whether a person holds it, so that the bot
stays silent: a claimed escalation, a channel thread a person took over, or a conversation a
person resolved that the customer has just reopened (which goes back to that person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.types import Decision
from storage.models import (
    ChannelThreadRow,
    ConversationRow,
    EscalationRow,
    InquiryRow,
    MessageRow,
    new_id,
    utcnow,
)
from storage.repo.base import commit_first, sha256_hex, updated

HoldKind = Literal["claimed", "agent_active", "reopened", "requested"]
# Escalations that told the customer a person will take over: while one waits in the queue,
# the customer's next messages ("are you there?", "まだですか？") wait for that person too.
PERSON_PROMISED = frozenset({"human_requested", "repeated_question"})


def person_promised(escalation: EscalationRow, *, at_start: bool = False) -> bool:
    """Tell whether an escalation told its customer a person will take over: it began so
    (PERSON_PROMISED), or, unless `at_start`, the customer asked for one while it was open."""
    return escalation.reason in PERSON_PROMISED or (
        not at_start and escalation.person_requested_at is not None)


@dataclass(frozen=True)
class Hold:
    """A person holds the conversation: why, and the escalation they work in (if any)."""

    kind: HoldKind
    escalation_id: str | None
    reason: str | None  # that escalation's reason


def thread_of(session: Session, channel: str, external_id: str) -> ChannelThreadRow | None:
    """Return a channel's thread, if Kotae has seen it."""
    return session.scalar(
        select(ChannelThreadRow).where(
            ChannelThreadRow.channel == channel, ChannelThreadRow.external_id == external_id
        )
    )


def thread_of_conversation(session: Session, conversation_id: str) -> ChannelThreadRow | None:
    """Return the channel thread behind a conversation (None for the widget's)."""
    return session.scalar(
        select(ChannelThreadRow).where(ChannelThreadRow.conversation_id == conversation_id)
    )


def ensure_thread(
    session: Session,
    channel: str,
    external_id: str,
    *,
    customer: dict[str, Any] | None,
    language: str | None,
    address: dict[str, Any],
) -> ChannelThreadRow:
    """Return the thread, creating it and its conversation on first sight (commits)."""
    existing = thread_of(session, channel, external_id)
    if existing is not None:
        if address and existing.address != {**(existing.address or {}), **address}:
            existing.address = {**(existing.address or {}), **address}
            session.commit()
        return existing
    now = utcnow()
    conversation_id = new_id("conv")
    session.add(
        ConversationRow(
            id=conversation_id,
            # No widget token can open a channel's conversation: a hash of nothing known.
            token_hash=sha256_hex(new_id("tok")),
            api_key_id=None,
            account_id=(customer or {}).get("account_id"),
            customer=customer,
            language=language,
            channel=channel,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    row = ChannelThreadRow(
        id=new_id("thr"),
        channel=channel,
        external_id=external_id,
        conversation_id=conversation_id,
        state="bot",
        human_resolved=False,
        address=address,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    if not commit_first(session):  # another worker created it first
        found = thread_of(session, channel, external_id)
        assert found is not None
        return found
    return row


def set_thread_state(
    session: Session, thread: ChannelThreadRow, state: str, *, status: str | None = None
) -> None:
    """Move a thread to bot, human or resolved (remembering a person's resolution); commits."""
    now = utcnow()
    if status is not None:
        thread.external_status = status
    if state == "human" and thread.state != "human":
        thread.human_since = now
    if state == "resolved":
        thread.human_resolved = thread.human_resolved or thread.state == "human"
        thread.resolved_at = now
    thread.state = state
    thread.updated_at = now
    session.commit()


def add_message(
    session: Session, conversation_id: str, role: str, text: str, author: str | None = None
) -> None:
    """Record a turn Kotae did not answer (an agent's reply, a message while a person holds
    the conversation), so the transcript is whole; commits."""
    session.add(MessageRow(conversation_id=conversation_id, role=role, text=text,
                           author=author, created_at=utcnow()))
    session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                    .values(updated_at=utcnow()))
    session.commit()


def latest_escalation(session: Session, conversation_id: str) -> EscalationRow | None:
    """Return the conversation's most recent escalation."""
    return session.scalar(
        select(EscalationRow)
        .where(EscalationRow.conversation_id == conversation_id)
        .order_by(EscalationRow.created_at.desc())
        .limit(1)
    )


def hold_of(session: Session, conversation_id: str, written_at: datetime) -> Hold | None:
    """Return whether a person holds the conversation a customer wrote in at `written_at`.

    A person holds it once they claimed its escalation, while its channel thread is with
    people, and while an escalation that promised the customer a person (they asked for one,
    when it began or while it was open, or asked the same thing again and again) waits in
    the queue.

    A conversation a person resolved that the customer writes in again is reopened for
    people here (its escalation goes back to its assignee, or to the queue), and stays
    with them until resolved again. Commits when it reopens.
    """
    escalation = latest_escalation(session, conversation_id)
    thread = thread_of_conversation(session, conversation_id)
    if escalation is not None and escalation.status == "claimed":
        return Hold("claimed", escalation.id, escalation.reason)
    # (In a help desk, its own state says who has the conversation: a team that handed it
    # back to the bot, escalation still open, has the bot answer again.)
    if (escalation is not None and escalation.status == "open"
            and person_promised(escalation)
            and (thread is None or thread.state != "bot")):
        return Hold("requested", escalation.id, escalation.reason)
    if thread is not None and thread.state == "human":
        open_one = escalation if escalation is not None and escalation.status == "open" else None
        return Hold("agent_active", open_one.id if open_one else None,
                    open_one.reason if open_one else None)
    resolved_by_person = (
        escalation is not None and escalation.status == "resolved"
        and escalation.resolved_at is not None and escalation.resolved_at <= written_at
    ) or (thread is not None and thread.human_resolved)
    if not resolved_by_person:
        return None
    now = utcnow()
    if escalation is not None and escalation.status == "resolved":
        session.execute(
            update(EscalationRow)
            .where(EscalationRow.id == escalation.id, EscalationRow.status == "resolved")
            .values(status="claimed" if escalation.assignee else "open", resolved_at=None,
                    updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                    .values(reopened_at=now))
    if thread is not None:
        thread.state, thread.human_since, thread.updated_at = "human", now, now
    session.commit()
    return Hold("reopened", escalation.id if escalation else None,
                escalation.reason if escalation else None)


def record_held(session: Session, inquiry_id: str, decision: Decision) -> bool:
    """Record an inquiry a person holds as decided, without a bot message or a new
    escalation (its turn is already in the conversation for the person); commits."""
    now = utcnow()
    result = session.execute(
        update(InquiryRow)
        .where(InquiryRow.id == inquiry_id, InquiryRow.status == "received")
        .values(status="decided", decided_at=now, action=decision.action,
                reason=decision.escalation.reason.value if decision.escalation else None,
                tag=decision.tag, language=decision.language, confidence=decision.confidence,
                latency_ms=decision.latency_ms, mode=decision.mode,
                decision=decision.model_dump(mode="json"))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return updated(result) == 1


def close_escalation(session: Session, conversation_id: str, *, actor: str) -> bool:
    """Mark the conversation's open or claimed escalation resolved where the help desk
    resolved it, with the person's last reply as its resolution (not learned: it was never
    reviewed here); commits. Return whether there was one."""
    escalation = latest_escalation(session, conversation_id)
    if escalation is None or escalation.status not in ("open", "claimed"):
        return False
    reply = session.scalar(
        select(MessageRow.text)
        .where(MessageRow.conversation_id == conversation_id, MessageRow.role == "agent")
        .order_by(MessageRow.id.desc())
        .limit(1)
    )
    now = utcnow()
    session.execute(
        update(EscalationRow)
        .where(EscalationRow.id == escalation.id, EscalationRow.status.in_(("open", "claimed")))
        .values(status="resolved", resolution=reply, resolved_at=now, updated_at=now,
                assignee=escalation.assignee or actor)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return True
