"""Signals: the feed's filters by date, account and acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from agent.types import Signal, SignalKind
from storage.db import Database
from storage.models import SignalRow
from storage.repo import inquiries, signals
from tests.support.storage import answer, receive


def test_signal_filters_by_date_account_and_acknowledgement(db: Database) -> None:
    row = receive(db, customer={"account_id": "acme"})
    signal = Signal(
        kind=SignalKind.CHURN_RISK, evidence="cancel", why="w", next_step="n", confidence=0.5
    )
    with db.session() as session:
        inquiries.record_decision(
            session, row.id, answer(signals=[signal]), status="decided", notice=None
        )
        [stored] = session.scalars(select(SignalRow)).all()
        stored.created_at = datetime(2024, 1, 15, tzinfo=UTC)
        session.commit()
        where = signals.SignalFilter
        january = where(
            since=datetime(2024, 1, 1, tzinfo=UTC), until=datetime(2024, 2, 1, tzinfo=UTC)
        )
        assert signals.list_signals(session, january, limit=10, offset=0)[1] == 1
        assert (
            signals.list_signals(
                session, where(until=datetime(2024, 1, 15, tzinfo=UTC)), limit=10, offset=0
            )[1]
            == 0
        )
        assert (
            signals.list_signals(session, where(account_id="other"), limit=10, offset=0)[1] == 0
        )
        signals.ack_signal(session, stored.id, "dana")
        assert signals.list_signals(session, where(acked=False), limit=10, offset=0)[1] == 0
        assert [s.id for s in signals.iter_signals(session, where(), batch=1)] == [stored.id]
