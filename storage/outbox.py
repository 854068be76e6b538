"""Webhooks through a durable outbox: events are rows written with the change they report.

Delivery is at least once: a receiver may see an event twice (after a crash between the
POST and the bookkeeping) and should de-duplicate on the `X-Kotae-Delivery` header.
Customers' words in an event (`question`, `detail`, `evidence`, `answer`, `comment`) are sent
with e-mail addresses, phone numbers, card numbers, My Numbers and secrets masked
(agent.pii.mask_pii), unless the receiver is trusted with raw text (`WebhookConfig.raw_text`,
KOTAE_WEBHOOK_RAW_TEXT); the outbox keeps the event as written.
Each POST is signed: `X-Kotae-Signature: sha256=<hex>` is the HMAC-SHA256, keyed with the
shared secret, of `<X-Kotae-Timestamp>.<raw body>`; see `verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.pii import mask_pii
from storage.db import Database
from storage.models import OutboxRow, new_id, utcnow

log = logging.getLogger(__name__)

Event = Literal["escalation.created", "escalation.resolved", "escalation.person_requested",
                "signal.created", "account.health_changed", "insight.bug_cluster"]
EVENTS: tuple[Event, ...] = ("escalation.created", "escalation.resolved",
                             "escalation.person_requested", "signal.created",
                             "account.health_changed", "insight.bug_cluster")
SIGNATURE_HEADER = "X-Kotae-Signature"
TIMESTAMP_HEADER = "X-Kotae-Timestamp"


def event_values(event: Event, data: dict[str, Any]) -> dict[str, Any]:
    """Return the column values of a new pending event (for a bulk insert)."""
    now = utcnow()
    event_id = new_id("evt")
    return {
        "id": event_id,
        "event": event,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "payload": {"type": event, "created_at": now.isoformat(), "data": data, "id": event_id},
    }


def emit(session: Session, event: Event, data: dict[str, Any]) -> OutboxRow:
    """Add an event to the outbox inside the caller's transaction (it commits)."""
    row = OutboxRow(**event_values(event, data))
    session.add(row)
    return row


#: The fields of an event's data that hold a customer's (or a reply's) words.
TEXT_FIELDS = ("question", "detail", "evidence", "answer", "comment")


def masked_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Return an event with personal data masked in the text fields of its data."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return payload
    masked = {key: mask_pii(value) if key in TEXT_FIELDS and isinstance(value, str) else value
              for key, value in data.items()}
    return {**payload, "data": masked}


def body_of(row: OutboxRow, *, raw_text: bool = False) -> bytes:
    """Return the exact bytes POSTed for an event (and signed): masked unless raw_text."""
    payload = row.payload if raw_text else masked_payload(row.payload)
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value for a body sent at timestamp."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """Check a delivery's signature and that it is recent (what a receiver should do)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


@dataclass(frozen=True)
class WebhookConfig:
    """Where and how to deliver events."""

    url: str
    secret: str
    timeout_s: float = 5.0
    max_attempts: int = 12
    backoff_s: float = 2.0  # first retry after this; doubles each time
    max_backoff_s: float = 3600.0
    claim_s: float = 60.0  # a claimed event is retried by anyone after this
    batch: int = 50
    raw_text: bool = False  # send customers' words unmasked (a receiver trusted with them)


def backoff(config: WebhookConfig, attempts: int) -> float:
    """Return how long to wait before the next attempt after `attempts` failures."""
    return float(min(config.backoff_s * 2 ** max(attempts - 1, 0), config.max_backoff_s))


def claim_due(
    db: Database,
    now: datetime,
    *,
    events: Sequence[str],
    batch: int = 50,
    claim_s: float = 60.0,
) -> list[OutboxRow]:
    """Claim due pending rows of the given event types, oldest first; return them.

    A claim pushes next_attempt_at forward with a conditional update, so two workers (or two
    processes) never take the same row at the same time; after a crash the row is due again
    once the claim runs out. Each claim counts as an attempt.
    """
    claimed: list[OutboxRow] = []
    with db.session() as session:
        due = session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.status == "pending",
                OutboxRow.next_attempt_at <= now,
                OutboxRow.event.in_(list(events)),
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at)
            .limit(batch)
        ).all()
        for row in due:
            result = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row.id,
                    OutboxRow.status == "pending",
                    OutboxRow.next_attempt_at == row.next_attempt_at,
                )
                .values(
                    next_attempt_at=now + timedelta(seconds=claim_s),
                    attempts=OutboxRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
                claimed.append(row)
        session.commit()
    return claimed


def _claim_due(db: Database, config: WebhookConfig, now: datetime) -> list[OutboxRow]:
    # Only webhook events: the table also queues other work (channels.runner's events).
    return claim_due(db, now, events=EVENTS, batch=config.batch, claim_s=config.claim_s)


def _post(client: httpx.Client, config: WebhookConfig, row: OutboxRow) -> str | None:
    body = body_of(row, raw_text=config.raw_text)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "kotae-webhooks/1",
        SIGNATURE_HEADER: sign(config.secret, timestamp, body),
        TIMESTAMP_HEADER: str(timestamp),
        "X-Kotae-Event": row.event,
        "X-Kotae-Delivery": row.id,
    }
    try:
        response = client.post(config.url, content=body, headers=headers, timeout=config.timeout_s)
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def deliver_due(db: Database, config: WebhookConfig, client: httpx.Client) -> dict[str, int]:
    """Post every due event once; return counts of delivered, retried and dead events."""
    counts = {"delivered": 0, "retry": 0, "dead": 0}
    for row in _claim_due(db, config, utcnow()):
        error = _post(client, config, row)
        attempts = row.attempts + 1  # the claim incremented it in the database
        now = utcnow()
        values: dict[str, Any]
        if error is None:
            values = {"status": "delivered", "delivered_at": now, "last_error": None}
            counts["delivered"] += 1
        elif attempts >= config.max_attempts:
            values = {"status": "dead", "last_error": error}
            counts["dead"] += 1
            log.error(
                "webhook %s %s given up after %d attempts: %s", row.event, row.id, attempts, error
            )
        else:
            wait = backoff(config, attempts)
            values = {"next_attempt_at": now + timedelta(seconds=wait), "last_error": error}
            counts["retry"] += 1
            log.warning(
                "webhook %s %s failed (attempt %d, next in %.1fs): %s",
                row.event,
                row.id,
                attempts,
                wait,
                error,
            )
        with db.session() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id == row.id).values(**values))
            session.commit()
    return counts


def pending_events(session: Session, events: Sequence[str] = EVENTS) -> list[OutboxRow]:
    """Return undelivered events, oldest first."""
    return list(
        session.scalars(
            select(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.event.in_(events))
            .order_by(OutboxRow.created_at)
        )
    )
