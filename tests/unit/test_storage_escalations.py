"""Escalations: states that move only forward or back to open, and resolutions that become
labelled tickets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from errors import ConflictError, NotFoundError
from storage.db import Database
from storage.models import OutboxRow
from storage.repo import conversations, escalations, inquiries
from tests.support.storage import answer, escalation, receive


def test_escalation_states_move_only_forward_or_back_to_open(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        inquiries.record_decision(session, row.id, escalation(), status="decided", notice="n")
        esc = escalations.escalation_of_inquiry(session, row.id)
        assert esc is not None
        assert escalations.claim_escalation(session, esc.id, "aiko").status == "claimed"
        with pytest.raises(ConflictError, match="claimed"):
            escalations.claim_escalation(session, esc.id, "ben")
        resolved = escalations.resolve_escalation(session, esc.id, "Fixed.", "bug", "aiko")
        assert (resolved.status, resolved.resolution, resolved.assignee) == (
            "resolved",
            "Fixed.",
            "aiko",
        )
        with pytest.raises(ConflictError, match="resolved"):
            escalations.resolve_escalation(session, esc.id, "Again.", None, "aiko")
        assert escalations.reopen_escalation(session, esc.id).status == "open"
        with pytest.raises(NotFoundError):
            escalations.claim_escalation(session, "esc_none", "aiko")
        roles = [m.role for m in conversations.conversation_messages(session, row.conversation_id)]
        events = [
            e.event for e in session.scalars(select(OutboxRow).order_by(OutboxRow.created_at))
        ]
    assert roles == ["customer", "assistant", "agent"]
    assert events == ["escalation.created", "escalation.resolved"]


def test_a_resolution_becomes_a_labelled_ticket(db: Database) -> None:
    first = receive(db, "export fails", customer={"account_id": "acme"})
    with db.session() as session:
        inquiries.record_decision(
            session, first.id, answer("try again"), status="decided", notice=None
        )
    second = receive(db, "still fails after retrying", conversation_id=first.conversation_id)
    with db.session() as session:
        inquiries.record_decision(session, second.id, escalation(), status="decided", notice="n")
        esc = escalations.escalation_of_inquiry(session, second.id)
        assert esc is not None
        resolved = escalations.resolve_escalation(session, esc.id, "Clear the cache.", None, "aiko")
        ticket = escalations.ticket_for(session, resolved)
        escalations.mark_learned(session, esc.id, "StoreError: down")
        assert [e.id for e in escalations.escalations_to_learn(session)] == [esc.id]
        escalations.mark_learned(session, esc.id, None)
        assert escalations.escalations_to_learn(session) == []
    assert ticket.body == "export fails\n\nstill fails after retrying"
    assert (ticket.resolution, ticket.tag, ticket.account_id) == ("Clear the cache.", "bug", "acme")


def test_a_learned_ticket_takes_the_language_of_the_customers_words(db: Database) -> None:
    from retrieval.chunking import ticket_chunk

    for text, language in (("The CSV export times out", "en"), ("CSVの書き出しが終わりません", "ja")):
        row = receive(db, text, language="ja" if language == "en" else "en")
        with db.session() as session:
            decided = escalation().model_copy(update={"language": "ja" if language == "en"
                                                      else "en"})
            inquiries.record_decision(session, row.id, decided, status="decided", notice="n")
            esc = escalations.escalation_of_inquiry(session, row.id)
            assert esc is not None and esc.language != language  # the conversation's
            resolved = escalations.resolve_escalation(session, esc.id, "Fixed.", None, "aiko")
            ticket = escalations.ticket_for(session, resolved)
        assert ticket_chunk(ticket).language == language
