"""From a stored inquiry to a stored decision: the agent's answer, its failures, a database
outage, and recovery of inquiries whose lease ran out."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from agent.types import Decision, Inquiry, ReasonCode
from storage import processing
from storage.db import Database
from storage.models import EscalationRow, utcnow
from storage.repo import inquiries
from tests.support.storage import answer, count, escalation, expire_lease, receive


def test_processing_records_the_agents_decision(db: Database) -> None:
    row = receive(db)

    def decide(inquiry: Inquiry, **_: Any) -> Decision:
        assert inquiry.id == row.id
        return answer()

    outcome = processing.answer(db, row.id, decide)
    assert (outcome.status, outcome.decision.action, outcome.notice) == ("decided", "answer", None)
    assert outcome.decision.inquiry_id == row.id


def test_processing_escalates_when_the_agent_raises(db: Database) -> None:
    row = receive(db)

    def decide(inquiry: Inquiry, **_: Any) -> Decision:
        raise TimeoutError("model took too long")

    outcome = processing.answer(db, row.id, decide)
    assert outcome.degraded
    assert outcome.decision.escalation is not None
    assert outcome.decision.escalation.reason == ReasonCode.LLM_UNAVAILABLE
    with db.session() as session:
        stored = inquiries.get_inquiry(session, row.id)
    assert (stored.status, stored.error) == ("failed", "TimeoutError: model took too long")


def test_a_decision_the_database_refuses_is_replaced_by_an_escalation(db: Database) -> None:
    row = receive(db)
    # PostgreSQL refuses NUL characters in text; SQLite stores them.
    outcome = processing.answer(db, row.id, lambda inquiry, **_: answer("a\x00b"))
    if db.dialect == "postgresql":
        assert outcome.degraded
        assert outcome.decision.escalation is not None
        assert outcome.decision.escalation.reason == ReasonCode.LLM_UNAVAILABLE
    else:
        assert outcome.decision.answer == "a\x00b"


def test_a_database_outage_keeps_the_inquiry_for_recovery(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OperationalError is not the decision's fault: no escalation replaces the answer."""
    from sqlalchemy.exc import OperationalError

    from errors import StoreError

    row = receive(db)

    def locked(*_: Any, **__: Any) -> Any:
        raise OperationalError("UPDATE inquiries", {}, Exception("database is locked"))

    monkeypatch.setattr(inquiries, "record_decision", locked)
    with pytest.raises(StoreError, match="did not answer"):
        processing.answer(db, row.id, lambda inquiry, **_: answer())
    monkeypatch.undo()
    with db.session() as session:
        assert inquiries.get_inquiry(session, row.id).status == "received"
        assert count(session, EscalationRow) == 0


def test_recovery_answers_inquiries_whose_lease_ran_out(db: Database) -> None:
    fresh, stale = receive(db, "still being answered"), receive(db, "interrupted")
    expire_lease(db, stale.id)
    outcomes = processing.recover(db, lambda inquiry, **_: answer(), lease_s=60, max_attempts=2)
    assert [o.inquiry_id for o in outcomes] == [stale.id]
    with db.session() as session:
        assert inquiries.get_inquiry(session, stale.id).attempts == 2
        assert inquiries.get_inquiry(session, fresh.id).status == "received"


def test_an_inquiry_being_recovered_is_listed_for_lease_renewal(db: Database) -> None:
    row = receive(db)
    expire_lease(db, row.id)
    answering: set[str] = set()
    seen: list[bool] = []

    def decide(inquiry: Inquiry, **_: Any) -> Decision:
        seen.append(row.id in answering)
        with db.session() as session:  # the lease was granted from the claim's own clock
            lease = inquiries.get_inquiry(session, row.id).lease_expires_at
            assert lease is not None and lease > utcnow() + timedelta(seconds=50)
        return answer()

    processing.recover(db, decide, lease_s=60, max_attempts=2, answering=answering)
    assert seen == [True] and answering == set()


def test_renewing_a_lease_keeps_recovery_away(db: Database) -> None:
    answering, decided = receive(db, "being answered"), receive(db, "already decided")
    with db.session() as session:
        inquiries.record_decision(session, decided.id, answer(), status="decided", notice=None)
    for row in (answering, decided):
        expire_lease(db, row.id)
    with db.session() as session:
        renewed = inquiries.renew_leases(session, [answering.id, decided.id], utcnow(), 60)
        assert renewed == 1
        assert inquiries.expired_inquiries(session, utcnow()) == []


def test_recovery_skips_inquiries_this_process_is_answering(db: Database) -> None:
    row = receive(db)
    expire_lease(db, row.id)
    assert (
        processing.recover(
            db, lambda inquiry, **_: answer(), lease_s=60, max_attempts=2, skip={row.id}
        )
        == []
    )


def test_an_inquiry_interrupted_too_often_is_escalated_without_the_agent(db: Database) -> None:
    row = receive(db)
    calls: list[str] = []

    def crashing(inquiry: Inquiry, **_: Any) -> Decision:
        calls.append(inquiry.text)
        raise SystemExit  # stands for the process dying mid-answer

    expire_lease(db, row.id)
    with pytest.raises(SystemExit):
        processing.recover(db, crashing, lease_s=60, max_attempts=2)
    expire_lease(db, row.id)
    [outcome] = processing.recover(db, crashing, lease_s=60, max_attempts=2)
    assert calls == ["How do I invite people?"]  # the third attempt never reached the agent
    assert outcome.decision.escalation is not None
    assert "interrupted 2 times" in outcome.decision.escalation.detail
    with db.session() as session:
        assert count(session, EscalationRow) == 1


def test_two_workers_recovering_at_once_answer_once(db: Database) -> None:
    row = receive(db)
    expire_lease(db, row.id)
    barrier = threading.Barrier(2)
    results: list[list[processing.Outcome]] = []

    def worker() -> None:
        barrier.wait()
        results.append(
            processing.recover(db, lambda inquiry, **_: escalation(), lease_s=60, max_attempts=3)
        )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0, 1]
    with db.session() as session:
        assert count(session, EscalationRow) == 1
