"""Inquiries and conversations: receiving, follow-ups and their history, idempotency keys,
conversation tokens, messages, and the first-decision-wins rule."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from agent.types import Decision, Inquiry, Signal, SignalKind
from errors import ConflictError
from storage import processing
from storage.db import Database
from storage.models import EscalationRow, InquiryRow, MessageRow, OutboxRow, SignalRow, utcnow
from storage.repo import conversations, inquiries
from tests.support.storage import answer, count, escalation, receive


def test_a_new_inquiry_is_received_with_its_message(db: Database) -> None:
    row = receive(db, customer={"account_id": "acme"})
    with db.session() as session:
        stored = inquiries.get_inquiry(session, row.id)
        messages = conversations.conversation_messages(session, row.conversation_id)
        conversation = conversations.get_conversation(session, row.conversation_id)
    assert stored.status == "received"
    assert [(m.role, m.inquiry_id) for m in messages] == [("customer", row.id)]
    assert conversation.account_id == "acme"


def test_a_follow_up_arrives_with_the_history_the_agent_reads(db: Database) -> None:
    first = receive(db, "How do I invite people? / メンバーの招待方法は？")
    processing.answer(db, first.id, lambda inquiry, **_: answer("Open Settings > Members."))
    with db.session() as session:
        received = inquiries.receive_inquiry(
            session, text="And remove them?", conversation_id=first.conversation_id,
            customer=None, language=None, api_key_id="key_test", idempotency_key=None,
            request_hash=None, lease_s=60.0)
    with db.session() as session:
        stored = inquiries.get_inquiry(session, received.inquiry.id)
        expected = inquiries.history_before(session, stored)
    assert received.history is not None
    assert [(m.role, m.text) for m in received.history] == [(m.role, m.text) for m in expected]
    assert [m.role for m in expected] == ["customer", "assistant"]
    seen: list[Inquiry] = []

    def decide(inquiry: Inquiry, **_: Any) -> Decision:
        seen.append(inquiry)
        return answer("Members > Remove.")

    def unread(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the received inquiry was read back from the database")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inquiries, "get_inquiry", unread)
        patch.setattr(inquiries, "history_before", unread)
        processing.answer(db, received.inquiry.id, decide, received=received)
    assert [m.text for m in seen[0].history] == [
        "How do I invite people? / メンバーの招待方法は？", "Open Settings > Members."]


def test_a_follow_up_updates_its_conversation(db: Database) -> None:
    first = receive(db, "メンバーの招待方法は？")
    with db.session() as session:
        before = conversations.get_conversation(session, first.conversation_id).updated_at
        inquiries.receive_inquiry(
            session, text="Also for the Kyoto office?", conversation_id=first.conversation_id,
            customer={"account_id": "acme-kyoto", "name": "Aiko"}, language=None,
            api_key_id="key_test", idempotency_key=None, request_hash=None, lease_s=60.0)
    with db.session() as session:
        conversation = conversations.get_conversation(session, first.conversation_id)
    assert conversation.updated_at > before
    assert conversation.account_id == "acme-kyoto"
    assert conversation.customer == {"account_id": "acme-kyoto", "name": "Aiko"}


def test_an_idempotency_key_that_loses_the_insert_race_replays_the_winner(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = receive(db, idempotency_key="k" * 20, request_hash="h1")
    lookups: list[str] = []
    find = inquiries.find_by_idempotency_key

    def not_yet_there_the_first_time(*args: Any) -> InquiryRow | None:
        lookups.append("find")
        return None if len(lookups) == 1 else find(*args)

    monkeypatch.setattr(inquiries, "find_by_idempotency_key", not_yet_there_the_first_time)
    with db.session() as session:
        again = inquiries.receive_inquiry(
            session, text="How do I invite people?", conversation_id=None, customer=None,
            language=None, api_key_id="key_test", idempotency_key="k" * 20,
            request_hash="h1", lease_s=60.0)
    assert again.replay and again.inquiry.id == winner.id
    assert len(lookups) == 2  # the insert hit the unique key, then the winner was found
    with db.session() as session:
        assert count(session, InquiryRow) == 1
        assert count(session, MessageRow) == 1  # the loser's message was rolled back too


def test_an_idempotency_key_finds_the_first_inquiry(db: Database) -> None:
    first = receive(db, idempotency_key="k" * 20, request_hash="h1")
    with db.session() as session:
        again = inquiries.receive_inquiry(
            session,
            text="How do I invite people?",
            conversation_id=None,
            customer=None,
            language=None,
            api_key_id="key_test",
            idempotency_key="k" * 20,
            request_hash="h1",
            lease_s=60,
        )
        with pytest.raises(ConflictError):
            inquiries.receive_inquiry(
                session,
                text="other",
                conversation_id=None,
                customer=None,
                language=None,
                api_key_id="key_test",
                idempotency_key="k" * 20,
                request_hash="h2",
                lease_s=60,
            )
    assert again.replay and again.inquiry.id == first.id
    assert again.token is not None
    assert conversations.token_matches(again.conversation, again.token)


def test_conversation_tokens_are_stored_hashed(db: Database) -> None:
    with db.session() as session:
        received = inquiries.receive_inquiry(
            session,
            text="hi",
            conversation_id=None,
            customer=None,
            language=None,
            api_key_id="key_test",
            idempotency_key=None,
            request_hash=None,
            lease_s=60,
        )
    assert received.token and received.token not in received.conversation.token_hash
    assert conversations.token_matches(received.conversation, received.token)
    assert not conversations.token_matches(received.conversation, received.token + "x")
    assert not conversations.token_matches(received.conversation, None)


def test_history_is_what_came_before_the_inquiry(db: Database) -> None:
    first = receive(db, "first question")
    with db.session() as session:
        inquiries.record_decision(
            session, first.id, answer("first answer"), status="decided", notice=None
        )
    second = receive(db, "second question", conversation_id=first.conversation_id)
    with db.session() as session:
        history = inquiries.history_before(session, second)
    assert [(m.role, m.text) for m in history] == [
        ("customer", "first question"),
        ("assistant", "first answer"),
    ]


def test_messages_keep_their_order(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        for i in range(5):
            session.add(
                MessageRow(
                    conversation_id=row.conversation_id,
                    role="agent",
                    text=str(i),
                    created_at=utcnow(),
                )
            )
        session.commit()
        texts = [m.text for m in conversations.conversation_messages(session, row.conversation_id)]
    assert texts == ["How do I invite people?", "0", "1", "2", "3", "4"]


def test_the_first_recorded_decision_wins(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        first = inquiries.record_decision(
            session, row.id, escalation(), status="decided", notice="a person will reply"
        )
    with db.session() as session:
        second = inquiries.record_decision(
            session, row.id, answer(), status="decided", notice=None
        )
    with db.session() as session:
        stored = inquiries.get_inquiry(session, row.id)
        assert (bool(first), bool(second)) == (True, False)
        assert first.escalation_id is not None and second.escalation_id is None
        assert stored.action == "escalate"
        assert count(session, EscalationRow) == 1
        assert count(session, OutboxRow) == 1
        texts = [m.text for m in conversations.conversation_messages(session, row.conversation_id)]
        assert texts == ["How do I invite people?", "a person will reply"]


def test_signals_are_stored_with_an_outbox_event_each(db: Database) -> None:
    row = receive(db, customer={"account_id": "acme"})
    signal = Signal(
        kind=SignalKind.EXPANSION,
        evidence="we need seats",
        why="growth",
        next_step="call",
        confidence=0.8,
    )
    with db.session() as session:
        inquiries.record_decision(
            session, row.id, answer(signals=[signal, signal]), status="decided", notice=None
        )
    with db.session() as session:
        signals = session.scalars(select(SignalRow)).all()
        events = session.scalars(select(OutboxRow)).all()
    assert [s.account_id for s in signals] == ["acme", "acme"]  # from the conversation
    assert [e.event for e in events] == ["signal.created", "signal.created"]


def test_an_inquiry_recorded_earlier_moves_with_what_it_wrote(db: Database) -> None:
    from datetime import timedelta

    from storage.models import ConversationRow, FeedbackRow
    from storage.repo import escalations, history

    first = receive(db, "Export fails with error 500")
    outcome = processing.answer(db, first.id, lambda inquiry, **_: escalation())
    assert outcome.escalation_id is not None
    at = utcnow() - timedelta(days=20)
    with db.session() as session:
        assert count(session, OutboxRow) > 0  # escalation.created, not yet sent
        history.record_inquiry_at(session, first.id, at, at + timedelta(seconds=2))
        escalations.resolve_escalation(session, outcome.escalation_id, "Fixed in 2.3.", None,
                                       "aiko", precedent="")
        history.record_resolution_at(session, outcome.escalation_id, at + timedelta(hours=3))
    second = receive(db, "How do I invite people?")
    processing.answer(db, second.id, lambda inquiry, **_: answer())
    with db.session() as session:
        feedback = inquiries.record_feedback(session, second.id, True, None)
        history.record_feedback_at(session, feedback.id, at + timedelta(days=1))
        row = session.get(InquiryRow, first.id)
        assert row is not None and row.created_at == at
        assert row.decided_at == at + timedelta(seconds=2)
        conversation = session.get(ConversationRow, row.conversation_id)
        assert conversation is not None and conversation.created_at == at
        times = {m.role: m.created_at for m in session.scalars(
            select(MessageRow).where(MessageRow.conversation_id == row.conversation_id))}
        assert times == {"customer": at, "assistant": at + timedelta(seconds=2),
                         "agent": at + timedelta(hours=3)}
        moved = session.get(EscalationRow, outcome.escalation_id)
        assert moved is not None and moved.created_at == at + timedelta(seconds=2)
        assert moved.resolved_at == at + timedelta(hours=3)
        rated = session.get(FeedbackRow, feedback.id)
        assert rated is not None and rated.created_at == at + timedelta(days=1)
        # Its pending events report nothing happening now: they are gone.
        left = session.scalars(select(OutboxRow)).all()
        assert [e.event for e in left if e.payload["data"].get("inquiry_id") == first.id] == []
        assert "escalation.resolved" not in {e.event for e in left}
