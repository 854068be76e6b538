"""Storage on a real database (SQLite file and PostgreSQL): migrations, the first-decision-
wins rule, crash recovery, idempotency, escalation states, keys and analytics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.types import Decision, Escalation, Inquiry, ReasonCode, Signal, SignalKind
from errors import ConfigError, ConflictError, NotFoundError
from storage import processing, repository
from storage.db import Database, normalise_url
from storage.models import (
    ApiKeyRow,
    Base,
    EscalationRow,
    InquiryRow,
    MessageRow,
    OutboxRow,
    SignalRow,
    utcnow,
)
from tests.support.postgres import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database.open(database_url(request.param, tmp_path))
    database.migrate()
    yield database
    database.close()


def receive(db: Database, text: str = "How do I invite people?", **kwargs: Any) -> InquiryRow:
    values: dict[str, Any] = {
        "conversation_id": None,
        "customer": None,
        "language": None,
        "api_key_id": "key_test",
        "idempotency_key": None,
        "request_hash": None,
        "lease_s": 60.0,
    }
    values.update(kwargs)
    with db.session() as session:
        return repository.receive_inquiry(session, text=text, **values).inquiry


def answer(text: str = "Open Settings.", **fields: Any) -> Decision:
    return Decision(
        action="answer",
        answer=text,
        tag="usage_question",
        tag_confidence=0.9,
        confidence=0.9,
        language="en",
        **fields,
    )


def escalation(reason: ReasonCode = ReasonCode.BUG_REPORT) -> Decision:
    return Decision(
        action="escalate",
        tag="bug",
        tag_confidence=0.9,
        confidence=0.2,
        language="en",
        escalation=Escalation(reason=reason, detail="crashes", draft="Try again."),
    )


def count(session: Session, model: Any) -> int:
    return len(session.scalars(select(model)).all())


def test_migrations_create_exactly_the_models(tmp_path: Path) -> None:
    for backend in BACKENDS:
        database = Database.open(database_url(backend, tmp_path, fresh=True))
        database.migrate()
        database.migrate()  # a second start changes nothing
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == [], backend
        database.close()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://x@y/z", "unsupported database"),
        ("not a url", "not a database URL"),
        ("sqlite://", "in-memory"),
    ],
)
def test_bad_database_urls_are_config_errors(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Database.open(url)


def test_plain_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_times_are_stored_in_utc_and_read_back_aware(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        stored = session.get(InquiryRow, row.id)
        assert stored is not None
        assert stored.created_at.tzinfo is UTC
        assert abs((stored.created_at - utcnow()).total_seconds()) < 60


def test_a_new_inquiry_is_received_with_its_message(db: Database) -> None:
    row = receive(db, customer={"account_id": "acme"})
    with db.session() as session:
        stored = repository.get_inquiry(session, row.id)
        messages = repository.conversation_messages(session, row.conversation_id)
        conversation = repository.get_conversation(session, row.conversation_id)
    assert stored.status == "received"
    assert [(m.role, m.inquiry_id) for m in messages] == [("customer", row.id)]
    assert conversation.account_id == "acme"


def test_a_follow_up_arrives_with_the_history_the_agent_reads(db: Database) -> None:
    first = receive(db, "How do I invite people? / メンバーの招待方法は？")
    processing.answer(db, first.id, lambda inquiry, **_: answer("Open Settings > Members."))
    with db.session() as session:
        received = repository.receive_inquiry(
            session, text="And remove them?", conversation_id=first.conversation_id,
            customer=None, language=None, api_key_id="key_test", idempotency_key=None,
            request_hash=None, lease_s=60.0)
    with db.session() as session:
        stored = repository.get_inquiry(session, received.inquiry.id)
        expected = repository.history_before(session, stored)
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
        patch.setattr(repository, "get_inquiry", unread)
        patch.setattr(repository, "history_before", unread)
        processing.answer(db, received.inquiry.id, decide, received=received)
    assert [m.text for m in seen[0].history] == [
        "How do I invite people? / メンバーの招待方法は？", "Open Settings > Members."]


def test_a_follow_up_updates_its_conversation(db: Database) -> None:
    first = receive(db, "メンバーの招待方法は？")
    with db.session() as session:
        before = repository.get_conversation(session, first.conversation_id).updated_at
        repository.receive_inquiry(
            session, text="Also for the Kyoto office?", conversation_id=first.conversation_id,
            customer={"account_id": "acme-kyoto", "name": "Aiko"}, language=None,
            api_key_id="key_test", idempotency_key=None, request_hash=None, lease_s=60.0)
    with db.session() as session:
        conversation = repository.get_conversation(session, first.conversation_id)
    assert conversation.updated_at > before
    assert conversation.account_id == "acme-kyoto"
    assert conversation.customer == {"account_id": "acme-kyoto", "name": "Aiko"}


def test_an_idempotency_key_that_loses_the_insert_race_replays_the_winner(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = receive(db, idempotency_key="k" * 20, request_hash="h1")
    lookups: list[str] = []
    find = repository.find_by_idempotency_key

    def not_yet_there_the_first_time(*args: Any) -> InquiryRow | None:
        lookups.append("find")
        return None if len(lookups) == 1 else find(*args)

    monkeypatch.setattr(repository, "find_by_idempotency_key", not_yet_there_the_first_time)
    with db.session() as session:
        again = repository.receive_inquiry(
            session, text="How do I invite people?", conversation_id=None, customer=None,
            language=None, api_key_id="key_test", idempotency_key="k" * 20,
            request_hash="h1", lease_s=60.0)
    assert again.replay and again.inquiry.id == winner.id
    assert len(lookups) == 2  # the insert hit the unique key, then the winner was found
    with db.session() as session:
        assert count(session, InquiryRow) == 1
        assert count(session, MessageRow) == 1  # the loser's message was rolled back too


def test_sqlite_writers_in_every_process_queue_on_one_lock_file(tmp_path: Path) -> None:
    import fcntl
    import os

    database = Database.open(f"sqlite:///{tmp_path / 'kotae.sqlite3'}")
    database.migrate()
    # Another process's writer, as the kernel sees it: a second open file holding the flock.
    other = os.open(tmp_path / "kotae.sqlite3.writer.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()

    def write() -> None:
        receive(database)
        done.set()

    worker = threading.Thread(target=write)
    worker.start()
    try:
        assert not done.wait(0.5), "a write went ahead while another process held the lock"
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    assert done.wait(10)
    worker.join()
    with database.session() as session:
        assert count(session, InquiryRow) == 1
    database.close()


def test_the_first_recorded_decision_wins(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        first = repository.record_decision(
            session, row.id, escalation(), status="decided", notice="a person will reply"
        )
    with db.session() as session:
        second = repository.record_decision(
            session, row.id, answer(), status="decided", notice=None
        )
    with db.session() as session:
        stored = repository.get_inquiry(session, row.id)
        assert (bool(first), bool(second)) == (True, False)
        assert first.escalation_id is not None and second.escalation_id is None
        assert stored.action == "escalate"
        assert count(session, EscalationRow) == 1
        assert count(session, OutboxRow) == 1
        texts = [m.text for m in repository.conversation_messages(session, row.conversation_id)]
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
        repository.record_decision(
            session, row.id, answer(signals=[signal, signal]), status="decided", notice=None
        )
    with db.session() as session:
        signals = session.scalars(select(SignalRow)).all()
        events = session.scalars(select(OutboxRow)).all()
    assert [s.account_id for s in signals] == ["acme", "acme"]  # from the conversation
    assert [e.event for e in events] == ["signal.created", "signal.created"]


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
        stored = repository.get_inquiry(session, row.id)
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

    monkeypatch.setattr(repository, "record_decision", locked)
    with pytest.raises(StoreError, match="did not answer"):
        processing.answer(db, row.id, lambda inquiry, **_: answer())
    monkeypatch.undo()
    with db.session() as session:
        assert repository.get_inquiry(session, row.id).status == "received"
        assert count(session, EscalationRow) == 0


def expire_lease(db: Database, inquiry_id: str) -> None:
    with db.session() as session:
        session.execute(
            update(InquiryRow)
            .where(InquiryRow.id == inquiry_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def test_recovery_answers_inquiries_whose_lease_ran_out(db: Database) -> None:
    fresh, stale = receive(db, "still being answered"), receive(db, "interrupted")
    expire_lease(db, stale.id)
    outcomes = processing.recover(db, lambda inquiry, **_: answer(), lease_s=60, max_attempts=2)
    assert [o.inquiry_id for o in outcomes] == [stale.id]
    with db.session() as session:
        assert repository.get_inquiry(session, stale.id).attempts == 2
        assert repository.get_inquiry(session, fresh.id).status == "received"


def test_an_inquiry_being_recovered_is_listed_for_lease_renewal(db: Database) -> None:
    row = receive(db)
    expire_lease(db, row.id)
    answering: set[str] = set()
    seen: list[bool] = []

    def decide(inquiry: Inquiry, **_: Any) -> Decision:
        seen.append(row.id in answering)
        with db.session() as session:  # the lease was granted from the claim's own clock
            lease = repository.get_inquiry(session, row.id).lease_expires_at
            assert lease is not None and lease > utcnow() + timedelta(seconds=50)
        return answer()

    processing.recover(db, decide, lease_s=60, max_attempts=2, answering=answering)
    assert seen == [True] and answering == set()


def test_renewing_a_lease_keeps_recovery_away(db: Database) -> None:
    answering, decided = receive(db, "being answered"), receive(db, "already decided")
    with db.session() as session:
        repository.record_decision(session, decided.id, answer(), status="decided", notice=None)
    for row in (answering, decided):
        expire_lease(db, row.id)
    with db.session() as session:
        renewed = repository.renew_leases(session, [answering.id, decided.id], utcnow(), 60)
        assert renewed == 1
        assert repository.expired_inquiries(session, utcnow()) == []


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


def test_an_idempotency_key_finds_the_first_inquiry(db: Database) -> None:
    first = receive(db, idempotency_key="k" * 20, request_hash="h1")
    with db.session() as session:
        again = repository.receive_inquiry(
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
            repository.receive_inquiry(
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
    assert repository.token_matches(again.conversation, again.token)


def test_conversation_tokens_are_stored_hashed(db: Database) -> None:
    with db.session() as session:
        received = repository.receive_inquiry(
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
    assert repository.token_matches(received.conversation, received.token)
    assert not repository.token_matches(received.conversation, received.token + "x")
    assert not repository.token_matches(received.conversation, None)


def test_history_is_what_came_before_the_inquiry(db: Database) -> None:
    first = receive(db, "first question")
    with db.session() as session:
        repository.record_decision(
            session, first.id, answer("first answer"), status="decided", notice=None
        )
    second = receive(db, "second question", conversation_id=first.conversation_id)
    with db.session() as session:
        history = repository.history_before(session, second)
    assert [(m.role, m.text) for m in history] == [
        ("customer", "first question"),
        ("assistant", "first answer"),
    ]


def test_escalation_states_move_only_forward_or_back_to_open(db: Database) -> None:
    row = receive(db)
    with db.session() as session:
        repository.record_decision(session, row.id, escalation(), status="decided", notice="n")
        esc = repository.escalation_of_inquiry(session, row.id)
        assert esc is not None
        assert repository.claim_escalation(session, esc.id, "aiko").status == "claimed"
        with pytest.raises(ConflictError, match="claimed"):
            repository.claim_escalation(session, esc.id, "ben")
        resolved = repository.resolve_escalation(session, esc.id, "Fixed.", "bug", "aiko")
        assert (resolved.status, resolved.resolution, resolved.assignee) == (
            "resolved",
            "Fixed.",
            "aiko",
        )
        with pytest.raises(ConflictError, match="resolved"):
            repository.resolve_escalation(session, esc.id, "Again.", None, "aiko")
        assert repository.reopen_escalation(session, esc.id).status == "open"
        with pytest.raises(NotFoundError):
            repository.claim_escalation(session, "esc_none", "aiko")
        roles = [m.role for m in repository.conversation_messages(session, row.conversation_id)]
        events = [
            e.event for e in session.scalars(select(OutboxRow).order_by(OutboxRow.created_at))
        ]
    assert roles == ["customer", "assistant", "agent"]
    assert events == ["escalation.created", "escalation.resolved"]


def test_a_resolution_becomes_a_labelled_ticket(db: Database) -> None:
    first = receive(db, "export fails", customer={"account_id": "acme"})
    with db.session() as session:
        repository.record_decision(
            session, first.id, answer("try again"), status="decided", notice=None
        )
    second = receive(db, "still fails after retrying", conversation_id=first.conversation_id)
    with db.session() as session:
        repository.record_decision(session, second.id, escalation(), status="decided", notice="n")
        esc = repository.escalation_of_inquiry(session, second.id)
        assert esc is not None
        resolved = repository.resolve_escalation(session, esc.id, "Clear the cache.", None, "aiko")
        ticket = repository.ticket_for(session, resolved)
        repository.mark_learned(session, esc.id, "StoreError: down")
        assert [e.id for e in repository.escalations_to_learn(session)] == [esc.id]
        repository.mark_learned(session, esc.id, None)
        assert repository.escalations_to_learn(session) == []
    assert ticket.body == "export fails\n\nstill fails after retrying"
    assert (ticket.resolution, ticket.tag, ticket.account_id) == ("Clear the cache.", "bug", "acme")


def test_a_learned_ticket_takes_the_language_of_the_customers_words(db: Database) -> None:
    from retrieval.chunking import ticket_chunk

    for text, language in (("The CSV export times out", "en"), ("CSVの書き出しが終わりません", "ja")):
        row = receive(db, text, language="ja" if language == "en" else "en")
        with db.session() as session:
            decided = escalation().model_copy(update={"language": "ja" if language == "en"
                                                      else "en"})
            repository.record_decision(session, row.id, decided, status="decided", notice="n")
            esc = repository.escalation_of_inquiry(session, row.id)
            assert esc is not None and esc.language != language  # the conversation's
            resolved = repository.resolve_escalation(session, esc.id, "Fixed.", None, "aiko")
            ticket = repository.ticket_for(session, resolved)
        assert ticket_chunk(ticket).language == language


def test_env_keys_are_synced_and_removed_ones_revoked(db: Database) -> None:
    with db.session() as session:
        repository.sync_env_keys(session, [("agent", "a" * 64), ("csm", "c" * 64)])
        repository.sync_env_keys(session, [("admin", "a" * 64)])
        assert repository.find_api_key(session, "c" * 64) is None
        found = repository.find_api_key(session, "a" * 64)
        assert found is not None and found.role == "admin"
        key, _row = repository.create_api_key(session, "widget", "site")
        assert key.startswith("pk_")
        repository.sync_env_keys(session, [])  # keys made in the database are not env keys
        assert repository.find_api_key(session, repository.sha256_hex(key)) is not None
        assert count(session, ApiKeyRow) == 3


def test_the_writer_lock_gives_up_after_its_timeout_and_never_stays_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import os
    import time

    from storage.db import _SqliteWriterLock

    path = tmp_path / "kotae.sqlite3.writer.lock"
    writers = _SqliteWriterLock(path, timeout_s=0.2)
    other = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # another process is writing, for too long
    connection = type("Connection", (), {"info": {}})()
    started = time.monotonic()
    writers.before_execute(connection, None, "INSERT INTO inquiries VALUES (1)")
    assert time.monotonic() - started >= 0.2
    assert connection.info["kotae_writer"] is False  # went ahead under SQLite's locking
    started = time.monotonic()
    writers.before_execute(connection, None, "UPDATE inquiries SET status = 'decided'")
    assert time.monotonic() - started < 0.1  # the same transaction does not wait again
    fcntl.flock(other, fcntl.LOCK_UN)
    os.close(other)

    def broken(*_args: Any) -> None:
        raise OSError("no locks on this file system")

    monkeypatch.setattr(fcntl, "flock", broken)
    with pytest.raises(OSError, match="no locks"):
        writers.before_execute(type("Connection", (), {"info": {}})(), None, "INSERT 1")
    assert writers._lock.acquire(blocking=False)  # the thread lock was not left held


def test_two_workers_syncing_the_same_env_keys_at_start_up_both_succeed(db: Database) -> None:
    keys = [("widget", "w" * 64), ("agent", "a" * 64)]
    with db.session() as late:
        read = late.scalars

        def read_then_lose_the_race(*args: Any, **kwargs: Any) -> Any:
            rows = list(read(*args, **kwargs))
            if not rows:  # this worker found no keys; the other one stores them first
                with db.session() as early:
                    repository.sync_env_keys(early, keys)
            return rows

        late.scalars = read_then_lose_the_race  # type: ignore[method-assign]
        repository.sync_env_keys(late, keys)
    with db.session() as session:
        assert count(session, ApiKeyRow) == 2
        assert repository.find_api_key(session, "w" * 64) is not None


def test_analytics_count_deflection_latency_and_feedback(db: Database) -> None:
    rows = [receive(db, f"q{i}") for i in range(4)]
    with db.session() as session:
        for i, row in enumerate(rows[:3]):
            repository.record_decision(
                session,
                row.id,
                answer(latency_ms=float(10 * (i + 1))),
                status="decided",
                notice=None,
            )
        repository.record_decision(session, rows[3].id, escalation(), status="decided", notice="n")
        repository.request_human(session, rows[2].conversation_id, None, "n")
        repository.record_feedback(session, rows[0].id, True, None)
        repository.record_feedback(session, rows[1].id, False, "no")
        summary = repository.analytics_summary(session, None, None)
        empty = repository.analytics_summary(session, utcnow() + timedelta(days=1), None)
    assert (summary.inquiries, summary.answered, summary.escalated) == (4, 3, 1)
    assert summary.deflection_rate == 0.5  # the third answer was taken to a person
    assert summary.reasons == {"bug_report": 1, "human_requested": 1}
    assert (summary.latency_median_ms, summary.latency_p95_ms) == (10.0, 30.0)
    assert summary.helpful_rate == 0.5
    assert (empty.inquiries, empty.deflection_rate) == (0, None)


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert repository.percentile(values, 50) == 50.0
    assert repository.percentile(values, 95) == 95.0
    assert repository.percentile([7.0], 95) == 7.0
    assert repository.percentile([], 50) is None


def test_signal_filters_by_date_account_and_acknowledgement(db: Database) -> None:
    row = receive(db, customer={"account_id": "acme"})
    signal = Signal(
        kind=SignalKind.CHURN_RISK, evidence="cancel", why="w", next_step="n", confidence=0.5
    )
    with db.session() as session:
        repository.record_decision(
            session, row.id, answer(signals=[signal]), status="decided", notice=None
        )
        [stored] = session.scalars(select(SignalRow)).all()
        stored.created_at = datetime(2024, 1, 15, tzinfo=UTC)
        session.commit()
        where = repository.SignalFilter
        january = where(
            since=datetime(2024, 1, 1, tzinfo=UTC), until=datetime(2024, 2, 1, tzinfo=UTC)
        )
        assert repository.list_signals(session, january, limit=10, offset=0)[1] == 1
        assert (
            repository.list_signals(
                session, where(until=datetime(2024, 1, 15, tzinfo=UTC)), limit=10, offset=0
            )[1]
            == 0
        )
        assert (
            repository.list_signals(session, where(account_id="other"), limit=10, offset=0)[1] == 0
        )
        repository.ack_signal(session, stored.id, "dana")
        assert repository.list_signals(session, where(acked=False), limit=10, offset=0)[1] == 0
        assert [s.id for s in repository.iter_signals(session, where(), batch=1)] == [stored.id]


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
        texts = [m.text for m in repository.conversation_messages(session, row.conversation_id)]
    assert texts == ["How do I invite people?", "0", "1", "2", "3", "4"]
