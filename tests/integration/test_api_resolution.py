"""GET /v1/analytics/resolution: contained, confirmed and durable resolutions, handoff and
reopen rates, per channel (the widget and Chatwoot), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from storage.models import utcnow
from tests.integration.test_api_harness import (
    FakeAgent,
    ask,
    auth,
    client_for,
    services_of,
    wait_until,
)
from tests.support.chatwoot import BOT_SECRET, BOT_TOKEN, fake_chatwoot, message_created, signed


@pytest.fixture
def app(db_url: str) -> Iterator[tuple[TestClient, Any]]:
    with fake_chatwoot() as fake, client_for(
            db_url, agent=FakeAgent(), chatwoot_url=fake.url, chatwoot_bot_token=BOT_TOKEN,
            chatwoot_webhook_secret=BOT_SECRET, channel_poll_s=0.05) as client:
        yield client, fake


def backdate(client: TestClient, conversation_id: str, days: float) -> None:
    then = utcnow() - timedelta(days=days)
    with services_of(client).db.session() as session:
        session.execute(text("UPDATE conversations SET created_at = :t WHERE id = :c"),
                        {"t": then, "c": conversation_id})
        session.execute(text("UPDATE inquiries SET created_at = :t, decided_at = :t "
                             "WHERE conversation_id = :c"), {"t": then, "c": conversation_id})
        session.commit()


def test_resolution_metrics_count_what_really_resolved_per_channel(app: Any) -> None:
    client, fake = app
    liked = ask(client, "How do I invite my team?")
    client.post(f"/v1/inquiries/{liked['inquiry_id']}/feedback", json={"helpful": True},
                headers=auth("widget", **{"X-Conversation-Token": liked["conversation_token"]}))
    human = ask(client, "I want a human")
    esc = human["escalation_id"]
    client.post(f"/v1/escalations/{esc}/resolve", json={"answer": "Done."},
                headers=auth("agent"))
    ask(client, "One more thing", conversation_id=human["conversation_id"],
        token=human["conversation_token"])  # reopened: stays with people
    lasting = ask(client, "How do I invite my team?", customer={"id": "c-3"})
    backdate(client, lasting["conversation_id"], 10)
    first = ask(client, "How do I invite my team?", customer={"id": "c-4"})
    again = ask(client, "Inviting people still confuses me", customer={"id": "c-4"})
    backdate(client, first["conversation_id"], 10)
    backdate(client, again["conversation_id"], 8)
    # Chatwoot: answered, then the customer says it worked.
    for words in ("How do I invite my team?", "Thanks, that worked!"):
        body, headers = signed(message_created(60, words))
        client.post("/v1/channels/chatwoot", content=body, headers=headers)
        wait_until(lambda: fake.messages(60), what="an answer")
    wait_until(lambda: len(fake.messages(60)) == 2, what="two answers")

    response = client.get("/v1/analytics/resolution", headers=auth("csm"))
    assert response.status_code == 200, response.text
    channels = response.json()["channels"]
    widget, chatwoot, every = channels["widget"], channels["chatwoot"], channels["all"]
    assert (widget["conversations"], widget["contained"], widget["confirmed"]) == (5, 4, 1)
    # Judged after 7 days: the lasting one and c-4's second; c-4's first came back.
    assert (widget["durable_judged"], widget["durable"]) == (3, 2)
    assert (widget["handed_off"], widget["resolved_by_person"], widget["reopened"]) == (1, 1, 1)
    assert widget["containment_rate"] == 0.8 and widget["handoff_rate"] == 0.2
    assert widget["reopen_rate"] == 1.0 and widget["durable_rate"] == round(2 / 3, 4)
    assert (chatwoot["conversations"], chatwoot["contained"], chatwoot["confirmed"]) == (1, 1, 1)
    assert chatwoot["durable_judged"] == 0 and chatwoot["durable_rate"] is None
    assert every["conversations"] == 6 and every["confirmed"] == 2
    assert client.get("/v1/analytics/resolution", headers=auth("widget")).status_code == 403
