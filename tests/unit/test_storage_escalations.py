"""Escalations: states that move only forward or back to open, and resolutions that become
labelled tickets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from errors import ConflictError, NotFoundError
from storage.db import Database
from storage.models import OutboxRow
from storage.repo import conversations, escalations, inquiries
from tests.support.postgres import BACKENDS, database_url
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
        assert escalations.escalations_to_learn(session) == []  # pending review
        escalations.review_precedent(session, esc.id, approve=True, reviewer="ben")
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


def _resolved(db: Database, answer: str = "Hi Ken, clear the cache.", **kwargs: Any) -> str:
    row = receive(db, "export fails, mail me at ken@bluefin.example")
    with db.session() as session:
        inquiries.record_decision(session, row.id, escalation(), status="decided", notice="n")
        esc = escalations.escalation_of_inquiry(session, row.id)
        assert esc is not None
        escalations.resolve_escalation(session, esc.id, answer, None, "aiko", **kwargs)
        return esc.id


def test_a_precedent_waits_for_review_and_only_an_approved_one_is_learned(db: Database) -> None:
    esc = _resolved(db, precedent="Clear the cache.")
    with db.session() as session:
        pending, total = escalations.list_precedents(session, "pending", limit=10, offset=0)
        assert [r.id for r in pending] == [esc] and total == 1
        assert escalations.escalations_to_learn(session) == []
        approved = escalations.review_precedent(session, esc, approve=True, reviewer="ben",
                                                text="Clear the browser cache, then retry.")
        assert (approved.precedent_status, approved.precedent_reviewer) == ("approved", "ben")
        assert approved.resolution == "Hi Ken, clear the cache."  # what the customer got
        assert [r.id for r in escalations.escalations_to_learn(session)] == [esc]
        ticket = escalations.ticket_for(session, approved)
        with pytest.raises(ConflictError, match="precedent is approved"):
            escalations.review_precedent(session, esc, approve=False, reviewer="ben")
    assert ticket.resolution == "Clear the browser cache, then retry."
    assert "ken@bluefin.example" not in ticket.body and "[EMAIL]" in ticket.body


def test_a_rejected_precedent_is_never_learned_unless_approved_after_all(db: Database) -> None:
    esc = _resolved(db, precedent="Clear the cache.")
    with db.session() as session:
        rejected = escalations.review_precedent(session, esc, approve=False, reviewer="ben")
        assert rejected.precedent_status == "rejected"
        assert escalations.list_precedents(session, "pending", limit=10, offset=0)[1] == 0
        assert escalations.escalations_to_learn(session) == []
        escalations.review_precedent(session, esc, approve=True, reviewer="aiko")
        assert [r.id for r in escalations.escalations_to_learn(session)] == [esc]


def test_reopening_takes_a_pending_precedent_off_the_review_list(db: Database) -> None:
    esc = _resolved(db)
    with db.session() as session:
        assert escalations.reopen_escalation(session, esc).precedent_status is None
        with pytest.raises(ConflictError, match="it is open"):
            escalations.review_precedent(session, esc, approve=True, reviewer="ben")


def test_without_review_a_precedent_is_approved_and_an_empty_one_is_not_proposed(
        db: Database) -> None:
    direct = _resolved(db, precedent="Clear the cache.", review=False)
    empty = _resolved(db, "Thanks, Ken!", precedent="")
    with db.session() as session:
        assert [r.id for r in escalations.escalations_to_learn(session)] == [direct]
        row = escalations.get_escalation(session, empty)
        assert (row.precedent, row.precedent_status) == (None, None)
        with pytest.raises(ConflictError, match="nothing to reuse"):
            escalations.review_precedent(session, empty, approve=True, reviewer="ben")


def test_resolutions_made_before_review_existed_count_as_approved(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage.db import MIGRATIONS

    for backend in BACKENDS:
        database = Database.open(database_url(backend, tmp_path, fresh=True))
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.execute(text(
                "INSERT INTO conversations (id, token_hash, created_at, updated_at) "
                "VALUES ('conv_1', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for esc, status, resolution in (("esc_1", "resolved", "Fixed."),
                                            ("esc_2", "open", None)):
                connection.execute(text(
                    "INSERT INTO escalations (id, conversation_id, status, reason, detail, "
                    "resolution, created_at, updated_at) VALUES (:id, 'conv_1', :status, "
                    "'bug_report', '', :resolution, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"id": esc, "status": status, "resolution": resolution})
        database.migrate()
        with database.session() as session:
            old = escalations.get_escalation(session, "esc_1")
            assert (old.precedent, old.precedent_status) == ("Fixed.", "approved")
            assert escalations.get_escalation(session, "esc_2").precedent_status is None
        database.close()


def test_a_request_for_a_person_joins_the_open_escalation_or_starts_one_if_it_was_resolved(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    row = receive(db, "We were charged twice")
    with db.session() as session:
        inquiries.record_decision(session, row.id, escalation(), status="decided", notice="n")
        esc = escalations.escalation_of_inquiry(session, row.id)
        assert esc is not None
        joined, created = escalations.request_human(session, row.conversation_id,
                                                    "call me", "notice")
        assert (joined.id, created) == (esc.id, False) and joined.person_requested_at
        first_request = joined.person_requested_at
        again, _ = escalations.request_human(session, row.conversation_id, None, "notice")
        assert again.person_requested_at == first_request  # the first request's time stays
        # Resolved by an agent between the read and the write: a new request, not a note on
        # a closed escalation that nobody will look at.
        stale = escalations.open_escalation_of(session, row.conversation_id)
        escalations.resolve_escalation(session, esc.id, "Refunded.", None, "aiko")
        monkeypatch.setattr(escalations, "open_escalation_of", lambda *_args: stale)
        fresh, created = escalations.request_human(session, row.conversation_id,
                                                   "still need you", "notice")
        assert created and fresh.id != esc.id and fresh.reason == "human_requested"
        said = [m.text for m in conversations.conversation_messages(session, row.conversation_id)
                if m.role == "customer"]
    assert said == ["We were charged twice", "call me", "still need you"]
