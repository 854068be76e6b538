"""Zendesk: a trigger's webhook, signed as Zendesk signs it, answered through a fake of
Zendesk's ticket API on 127.0.0.1 that records calls; the ticket-export import; on SQLite
and PostgreSQL."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from channels.zendesk import main as zendesk_main
from retrieval.loaders import load_tickets
from tests.integration.test_api_harness import client_for, services_of, wait_until
from tests.integration.test_channels_chatwoot import DeskAgent
from tests.support.recording import RecordingServer, Reply, recording_server

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
EMAIL = "kotae@help.example"
TOKEN = "zd_api_token_0123456789"


class FakeZendesk(RecordingServer):
    """Zendesk's ticket update API: records each PUT with its credentials."""

    @property
    def updates(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Return (path, Authorization header, body) of each update answered so far."""
        return [(r.path, r.header("Authorization") or "", r.json)
                for r in self.recorded("PUT")]

    def of(self, ticket: int) -> list[dict[str, Any]]:
        return [body["ticket"] for path, _auth, body in self.updates
                if path == f"/api/v2/tickets/{ticket}.json"]


def fake_zendesk() -> contextlib.AbstractContextManager[FakeZendesk]:
    return recording_server(FakeZendesk, ok=Reply(200, b"{}"), failed=Reply(503, b"{}"))


@pytest.fixture
def desk(db_url: str) -> Iterator[tuple[TestClient, FakeZendesk, DeskAgent]]:
    agent = DeskAgent()
    with fake_zendesk() as fake, client_for(
            db_url, agent=agent, zendesk_url=fake.url, zendesk_email=EMAIL,
            zendesk_api_token=TOKEN, zendesk_webhook_secret=SECRET,
            zendesk_draft_only="success_opportunity", channel_poll_s=0.05) as client:
        yield client, fake, agent


def signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """Sign as Zendesk does: base64(HMAC-SHA256(secret, timestamp + body))."""
    body = json.dumps(payload).encode()
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return body, {"Content-Type": "application/json",
                  "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
                  "X-Zendesk-Webhook-Signature-Timestamp": timestamp}


def ticket_created(ticket: int, subject: str, description: str) -> dict[str, Any]:
    """The body the documented "ticket created" trigger sends (docs/CHANNELS.md)."""
    return {"event": "ticket_created", "ticket_id": str(ticket), "subject": subject,
            "text": description, "status": "new",
            "requester": {"id": "9001", "email": "mei@example.jp", "name": "Mei"},
            "organization": "acct-9"}


def deliver(client: TestClient, payload: dict[str, Any]) -> Any:
    body, headers = signed(payload)
    return client.post("/v1/channels/zendesk", content=body, headers=headers)


def test_a_new_ticket_reporting_a_bug_gets_an_internal_note_with_the_draft_and_tags(
        desk: Any) -> None:
    client, fake, _agent = desk
    assert deliver(client, ticket_created(101, "Export broken",
                                          "Export fails with error 500")).status_code == 200
    update = wait_until(lambda: fake.of(101), what="a ticket update")[0]
    assert update["comment"]["public"] is False
    assert "Reason: bug_report" in update["comment"]["body"]
    assert "could you send the steps?" in update["comment"]["body"]  # the draft
    assert update["additional_tags"] == ["kotae", "kotae_escalated",
                                         "kotae_reason_bug_report", "kotae_tag_bug"]
    expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert fake.updates[0][1] == expected


def test_a_known_question_gets_a_public_answer(desk: Any) -> None:
    client, fake, _agent = desk
    deliver(client, ticket_created(102, "Invites", "How do I invite my team?"))
    update = wait_until(lambda: fake.of(102), what="a ticket update")[0]
    assert update["comment"]["public"] is True
    assert update["comment"]["body"].startswith("Open Settings, then Members")
    assert update["additional_tags"] == ["kotae", "kotae_answered", "kotae_tag_usage_question"]
    with services_of(client).db.session() as session:
        assert session.execute(text("SELECT account_id FROM conversations")).scalar() == "acct-9"


def test_a_draft_only_tag_is_left_as_an_internal_draft(desk: Any) -> None:
    client, fake, _agent = desk
    deliver(client, ticket_created(103, "Seats", "We need 20 more seats"))
    update = wait_until(lambda: fake.of(103), what="a ticket update")[0]
    assert update["comment"]["public"] is False
    assert update["comment"]["body"].startswith("Kotae's draft answer (not sent")
    assert "kotae_draft" in update["additional_tags"]


def test_after_an_agents_comment_a_customers_comment_gets_no_bot_answer(desk: Any) -> None:
    client, fake, agent = desk
    deliver(client, ticket_created(104, "Invites", "How do I invite my team?"))
    wait_until(lambda: fake.of(104), what="the answer")
    deliver(client, {"event": "agent_comment", "ticket_id": "104", "text": "On it!",
                     "author_email": "aiko@help.example"})
    deliver(client, {"event": "agent_comment", "ticket_id": "104", "text": "Kotae's own",
                     "author_email": EMAIL})  # Kotae's own comment changes nothing
    deliver(client, {"event": "public_comment", "ticket_id": "104",
                     "text": "And where do I change my password?",
                     "requester": {"id": "9001", "email": "mei@example.jp"}})
    wait_until(lambda: _count(client, "SELECT count(*) FROM webhook_outbox WHERE status = "
                                      "'delivered'") == 4, what="all worked")
    assert len(fake.of(104)) == 1 and len(agent.calls) == 1


def _count(client: TestClient, query: str) -> Any:
    with services_of(client).db.session() as session:
        return session.execute(text(query)).scalar()


def test_a_bad_signature_gets_401_and_nothing_is_stored(desk: Any) -> None:
    client, fake, _agent = desk
    body, headers = signed(ticket_created(105, "x", "How do I invite my team?"),
                           secret="wrong")
    assert client.post("/v1/channels/zendesk", content=body, headers=headers).status_code == 401
    assert _count(client, "SELECT count(*) FROM webhook_outbox") == 0
    assert fake.updates == []


def test_a_ticket_export_becomes_past_tickets(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"tickets": [
        {"id": 7, "subject": "Invoice download", "description": "Where is my invoice?",
         "status": "solved", "type": "question", "tags": ["billing"], "organization_id": 42,
         "requester_id": 1, "created_at": "2026-11-01T10:00:00Z",
         "comments": [{"author_id": 1, "public": True, "plain_body": "Where is my invoice?"},
                      {"author_id": 2, "public": False, "plain_body": "internal"},
                      {"author_id": 2, "public": True,
                       "plain_body": "Open Billing, then Invoices."}]},
        {"id": 8, "subject": "請求書", "description": "請求書はどこですか？", "status": "open",
         "type": "question", "requester_id": 3},
        {"id": 9, "subject": "no body", "status": "new"},
    ]}), encoding="utf-8")
    out = tmp_path / "tickets.jsonl"
    assert zendesk_main(["import-tickets", str(export), "-o", str(out)]) == 0
    loaded = load_tickets(out)
    assert [t.id for t in loaded.tickets] == ["7", "8"]
    first, second = loaded.tickets
    assert (first.body, first.resolution, first.tag, first.account_id) == (
        "Where is my invoice?", "Open Billing, then Invoices.", "question", "42")
    assert first.metadata["tags"] == "billing"
    assert (second.resolution, second.language) == (None, "ja")  # unsolved: no answer yet
    # The same column mapping as ingest_kb.py: here the tag comes from the priority.
    assert zendesk_main(["import-tickets", str(export), "-o", str(out),
                         "--ticket-columns", "tag=status"]) == 0
    assert [t.tag for t in load_tickets(out).tickets] == ["solved", "open"]
