"""Signals: expansion and churn-risk evidence for CSMs, filtered, exported and acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from storage.models import SignalRow, utcnow
from storage.repo.base import get_or_raise


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
    row = get_or_raise(session, SignalRow, signal_id, "signal")
    session.execute(
        update(SignalRow)
        .where(SignalRow.id == signal_id, SignalRow.acked_at.is_(None))
        .values(acked_at=utcnow(), acked_by=actor)
    )
    session.commit()
    session.refresh(row)
    return row
