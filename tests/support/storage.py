"""Helpers the storage tests share: receive an inquiry, make decisions, count and age rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.types import Decision, Escalation, ReasonCode
from storage.db import Database
from storage.models import InquiryRow, utcnow
from storage.repo import inquiries


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
        return inquiries.receive_inquiry(session, text=text, **values).inquiry


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


def expire_lease(db: Database, inquiry_id: str) -> None:
    with db.session() as session:
        session.execute(
            update(InquiryRow)
            .where(InquiryRow.id == inquiry_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
