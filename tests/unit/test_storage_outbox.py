"""The webhook outbox: signatures, the backoff schedule, claiming and giving up."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from storage import outbox
from storage.db import Database
from storage.models import OutboxRow, utcnow

SECRET = "whsec_unit_0123456789"


def add_event(db: Database, event: outbox.Event = "signal.created") -> str:
    with db.session() as session:
        row = outbox.emit(session, event, {"signal_id": "sig_1", "evidence": "席を追加したい"})
        session.commit()
        return row.id


def rows(db: Database) -> list[OutboxRow]:
    with db.session() as session:
        return list(session.scalars(select(OutboxRow)))


def config(**overrides: object) -> outbox.WebhookConfig:
    values: dict[str, object] = {
        "url": "http://127.0.0.1:9/hooks",
        "secret": SECRET,
        "backoff_s": 10.0,
        "max_attempts": 3,
    }
    values.update(overrides)
    return outbox.WebhookConfig(**values)  # type: ignore[arg-type]  # test values


def client(statuses: list[int], seen: list[httpx.Request]) -> httpx.Client:
    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses.pop(0) if statuses else 204)

    return httpx.Client(transport=httpx.MockTransport(respond))


def test_a_signature_verifies_only_with_the_secret_the_body_and_a_recent_time() -> None:
    body = b'{"type":"signal.created"}'
    signature = outbox.sign(SECRET, 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    verify = outbox.verify_signature
    assert verify(SECRET, "1700000000", body, signature, now=1_700_000_100)
    assert not verify(SECRET, "1700000000", body + b" ", signature, now=1_700_000_100)
    assert not verify("whsec_other_0123456789", "1700000000", body, signature, now=1_700_000_100)
    assert not verify(SECRET, "1700000000", body, signature, now=1_700_001_000)  # too old
    assert not verify(SECRET, "soon", body, signature)


def test_backoff_doubles_up_to_a_ceiling() -> None:
    settings = config(backoff_s=2.0, max_backoff_s=20.0)
    assert [outbox.backoff(settings, n) for n in range(1, 7)] == [2, 4, 8, 16, 20, 20]


def test_a_delivery_posts_the_signed_event_once(db: Database) -> None:
    event_id = add_event(db)
    seen: list[httpx.Request] = []
    counts = outbox.deliver_due(db, config(), client([204], seen))
    assert counts == {"delivered": 1, "retry": 0, "dead": 0}
    [request] = seen
    assert request.headers["X-Kotae-Delivery"] == event_id
    assert outbox.verify_signature(
        SECRET,
        request.headers["X-Kotae-Timestamp"],
        request.content,
        request.headers["X-Kotae-Signature"],
    )
    payload = json.loads(request.content)
    assert (payload["id"], payload["type"]) == (event_id, "signal.created")
    assert payload["data"]["evidence"] == "席を追加したい"
    assert outbox.deliver_due(db, config(), client([], seen)) == {
        "delivered": 0,
        "retry": 0,
        "dead": 0,
    }
    assert len(seen) == 1


def test_a_failed_delivery_waits_for_its_backoff(db: Database) -> None:
    add_event(db)
    seen: list[httpx.Request] = []
    before = utcnow()
    assert outbox.deliver_due(db, config(), client([503], seen))["retry"] == 1
    after = utcnow()
    [row] = rows(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503: ")
    # 10 s after the attempt, measured around it (a loaded machine may take seconds over it)
    assert (row.next_attempt_at - before).total_seconds() > 9
    assert (row.next_attempt_at - after).total_seconds() <= 10
    assert outbox.deliver_due(db, config(), client([], seen))["delivered"] == 0  # not yet due


def test_an_event_is_dead_after_the_last_attempt(db: Database) -> None:
    add_event(db)
    seen: list[httpx.Request] = []
    for _ in range(3):
        with db.session() as session:
            session.execute(update(OutboxRow).values(next_attempt_at=utcnow()))
            session.commit()
        outbox.deliver_due(db, config(), client([500], seen))
    [row] = rows(db)
    assert (row.status, row.attempts) == ("dead", 3)
    assert len(seen) == 3
    with db.session() as session:
        assert outbox.pending_events(session) == []


def test_a_claimed_event_is_not_posted_by_a_second_worker(db: Database) -> None:
    add_event(db)
    with db.session() as session:  # another worker claimed it a moment ago
        session.execute(
            update(OutboxRow).values(next_attempt_at=utcnow() + timedelta(seconds=60), attempts=1)
        )
        session.commit()
    seen: list[httpx.Request] = []
    assert outbox.deliver_due(db, config(), client([], seen))["delivered"] == 0
    assert seen == []


def test_an_unreachable_receiver_is_retried(db: Database) -> None:
    add_event(db)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    counts = outbox.deliver_due(db, config(), httpx.Client(transport=httpx.MockTransport(refuse)))
    assert counts["retry"] == 1
    assert rows(db)[0].last_error == "ConnectError: connection refused"
