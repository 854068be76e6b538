"""Webhooks to a real receiver on 127.0.0.1: signed, retried with backoff, never lost."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.models import OutboxRow
from storage.outbox import verify_signature
from tests.integration.test_api_harness import (
    WEBHOOK_SECRET,
    Receiver,
    ask,
    auth,
    client_for,
    free_port,
    services_of,
    sqlite_url,
    wait_until,
    webhook_receiver,
)


def outbox(client: TestClient) -> list[OutboxRow]:
    with services_of(client).db.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.created_at)))


def hooks(receiver: Receiver, **overrides: object) -> dict[str, object]:
    return {"webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET, **overrides}


def test_events_arrive_signed_with_the_shared_secret(tmp_path: Path) -> None:
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver)) as client,
    ):
        result = ask(client, "Cancel everything, I want a human", customer={"account_id": "acme"})
        wait_until(lambda: receiver.events("escalation.created"))
    [delivery] = receiver.deliveries
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    assert headers["x-kotae-event"] == "escalation.created"
    assert headers["x-kotae-signature"].startswith("sha256=")
    assert verify_signature(
        WEBHOOK_SECRET, headers["x-kotae-timestamp"], delivery.body, headers["x-kotae-signature"]
    )
    assert not verify_signature(
        "another-secret-0123456789",
        headers["x-kotae-timestamp"],
        delivery.body,
        headers["x-kotae-signature"],
    )
    event = delivery.json
    assert event["id"] == headers["x-kotae-delivery"]
    assert event["data"]["escalation_id"] == result["escalation_id"]
    assert event["data"]["reason"] == "human_requested"
    assert event["data"]["question"] == "Cancel everything, I want a human"
    assert event["data"]["account_id"] == "acme"


def test_signals_and_resolutions_are_sent_too(tmp_path: Path) -> None:
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver)) as client,
    ):
        ask(client, "We need 10 more seats", customer={"account_id": "acme"})
        escalation = ask(client, "human please")["escalation_id"]
        client.post(
            f"/v1/escalations/{escalation}/resolve", json={"answer": "Done."}, headers=auth("agent")
        )
        wait_until(lambda: len(receiver.deliveries) == 3)
    [signal] = receiver.events("signal.created")
    [resolved] = receiver.events("escalation.resolved")
    assert (signal["data"]["kind"], signal["data"]["account_id"]) == ("expansion", "acme")
    assert signal["data"]["evidence"] == "We need 10 more seats"
    assert signal["data"]["localized"]["ja"]["why"] == "席を増やしたい"
    assert (resolved["data"]["escalation_id"], resolved["data"]["answer"]) == (escalation, "Done.")


def test_a_help_desk_learns_once_that_an_escalated_customer_now_waits_for_a_person(
        tmp_path: Path) -> None:
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver)) as client,
    ):
        first = ask(client, "I want to cancel, my email is jane@example.com")
        url = f"/v1/conversations/{first['conversation_id']}/human"
        headers = auth("widget", **{"X-Conversation-Token": first["conversation_token"]})
        for comment in ("Call me at jane@example.com", "Still waiting"):
            assert client.post(url, json={"comment": comment}, headers=headers).status_code == 200
        wait_until(lambda: receiver.events("escalation.person_requested"))
        wait_until(lambda: receiver.events("escalation.created"))
    [requested] = receiver.events("escalation.person_requested")  # once, not per press
    data = requested["data"]
    assert (data["escalation_id"], data["reason"]) == (first["escalation_id"], "sensitive_topic")
    assert data["person_requested_at"] and "jane@example.com" not in data["comment"]
    assert data["comment"].startswith("Call me at")


def test_failed_deliveries_are_retried_with_backoff(tmp_path: Path) -> None:
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver)) as client,
    ):
        receiver.fail_next = 3
        ask(client, "human please")
        wait_until(lambda: receiver.deliveries)
        [row] = wait_until(lambda: [r for r in outbox(client) if r.status == "delivered"])
        metrics = client.get("/metrics").text
    assert receiver.failures == 3
    assert (row.status, row.attempts) == ("delivered", 4)
    assert row.delivered_at is not None
    # Waits of 0.05, 0.1 and 0.2 s: at least 0.35 s between the event and its delivery.
    assert (row.delivered_at - row.created_at).total_seconds() >= 0.35
    assert 'kotae_webhook_deliveries_total{outcome="retry"} 3.0' in metrics
    assert 'kotae_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics


def test_events_wait_in_the_outbox_across_a_restart(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here during the first run
    url = sqlite_url(tmp_path)
    settings = {"webhook_url": f"http://127.0.0.1:{port}/hooks", "webhook_secret": WEBHOOK_SECRET}
    with client_for(url, **settings) as client:
        ask(client, "human please")
        ask(client, "We need seats", customer={"account_id": "acme"})

        def all_tried() -> list[OutboxRow]:
            rows = outbox(client)
            return rows if len(rows) == 2 and all(r.last_error for r in rows) else []

        pending = wait_until(all_tried)
    assert {r.status for r in pending} == {"pending"}
    assert all("ConnectError" in (r.last_error or "") for r in pending)
    with webhook_receiver(port) as receiver, client_for(url, **settings):
        wait_until(lambda: len(receiver.deliveries) == 2)
    assert sorted(e["type"] for e in receiver.events()) == ["escalation.created", "signal.created"]


def test_an_event_is_given_up_after_the_last_attempt(tmp_path: Path) -> None:
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), **hooks(receiver, webhook_max_attempts=2)) as client,
    ):
        receiver.fail_next = 100
        ask(client, "human please")
        [row] = wait_until(lambda: [r for r in outbox(client) if r.status == "dead"])
    assert row.attempts == 2
    assert row.last_error.startswith("HTTP 500")
    assert receiver.deliveries == []
