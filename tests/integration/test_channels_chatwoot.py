"""Kotae as a Chatwoot Agent Bot, against a fake of Chatwoot's API on 127.0.0.1 that records
calls, with webhooks built and signed as Chatwoot's source builds them (tests.support.chatwoot),
on SQLite and PostgreSQL, and across a SIGKILL of a real uvicorn process."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from agent.types import Decision, Escalation, Inquiry, ReasonCode
from tests.integration.test_api_harness import (
    KEYS,
    FakeAgent,
    client_for,
    services_of,
    uvicorn_process,
    wait_until,
)
from tests.support.chatwoot import (
    BOT_SECRET,
    BOT_TOKEN,
    FakeChatwoot,
    agent_user,
    conversation_event,
    fake_chatwoot,
    message_created,
    signed,
)
from tests.support.postgres import BACKENDS, database_url

ROUTE = "/v1/channels/chatwoot"


class DeskAgent(FakeAgent):
    """The harness's fake agent, which also hands over what reads as a bug report."""

    def _decide(self, inquiry: Inquiry) -> Decision:
        decision = super()._decide(inquiry)
        if "error" in inquiry.text.lower() or "エラー" in inquiry.text:
            return decision.model_copy(update={
                "action": "escalate", "answer": None, "citations": [], "tag": "bug",
                "escalation": Escalation(
                    reason=ReasonCode.BUG_REPORT, detail="bug cue: 'error 500'",
                    draft="Thank you for reporting this; could you send the steps?")})
        return decision


def settings(fake: FakeChatwoot) -> dict[str, Any]:
    return {"chatwoot_url": fake.url, "chatwoot_bot_token": BOT_TOKEN,
            "chatwoot_webhook_secret": BOT_SECRET, "channel_poll_s": 0.05,
            "channel_backoff_s": 0.05, "channel_max_backoff_s": 0.2}


@pytest.fixture
def desk(db_url: str) -> Iterator[tuple[TestClient, FakeChatwoot, DeskAgent]]:
    agent = DeskAgent()
    with fake_chatwoot() as fake, client_for(db_url, agent=agent, **settings(fake)) as client:
        yield client, fake, agent


def deliver(client: TestClient, payload: dict[str, Any]) -> Any:
    body, headers = signed(payload)
    return client.post(ROUTE, content=body, headers=headers)


def rows(client: TestClient, query: str) -> list[Any]:
    with services_of(client).db.session() as session:
        return list(session.execute(text(query)).all())


def test_an_incoming_message_is_answered_with_chatwoots_reply_call(desk: Any) -> None:
    client, fake, agent = desk
    agent.delay_s, agent.slow_word = 1.0, "invite"  # the agent takes its time
    response = deliver(client, message_created(42, "How do I invite my team?"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    # Acknowledged before the agent finished: the answer is worked from the outbox
    # (bench/channel_ack.py measures how fast the acknowledgement is).
    assert agent.finished == 0
    reply = wait_until(lambda: fake.messages(42, private=False), what="a reply call")[0]
    assert reply.token == BOT_TOKEN
    assert reply.body["message_type"] == "outgoing"
    assert reply.body["content"].startswith("Open Settings, then Members")
    assert "https://docs.example/start" in reply.body["content"]  # its source
    assert fake.toggles(42) == []
    # The Chatwoot contact and account became Kotae's customer and account.
    assert rows(client, "SELECT channel, account_id FROM conversations") == [
        ("chatwoot", "acct-9")]
    assert agent.calls[0].customer is not None
    assert agent.calls[0].customer.id == "chatwoot:7:501"
    assert agent.calls[0].customer.email == "mei@example.jp"


def test_a_bug_report_hands_over_with_a_private_note_and_status_open(desk: Any) -> None:
    client, fake, _agent = desk
    assert deliver(client, message_created(43, "Export fails with error 500")).status_code == 200
    wait_until(lambda: fake.toggles(43), what="toggle_status")
    assert [call.body for call in fake.toggles(43)] == [{"status": "open"}]
    notes = fake.messages(43, private=True)
    assert len(notes) == 1
    note = notes[0].body["content"]
    assert "Reason: bug_report" in note
    assert "Sources:" in note and "kb-start" in note
    assert "Draft reply" in note and "could you send the steps?" in note
    public = fake.messages(43, private=False)
    assert len(public) == 1 and "a person will reply" in public[0].body["content"]
    assert rows(client, "SELECT reason, status FROM escalations") == [("bug_report", "open")]
    wait_until(lambda: rows(client, "SELECT state FROM channel_threads") == [("human",)],
               what="the thread held by people")


def test_no_bot_answer_after_an_agents_reply(desk: Any) -> None:
    client, fake, agent = desk
    deliver(client, message_created(44, "How do I invite my team?"))
    wait_until(lambda: fake.messages(44), what="the first answer")
    reply = message_created(44, "I'll set that up for you now.", message_type="outgoing",
                            sender=agent_user())
    assert deliver(client, reply).status_code == 200
    wait_until(lambda: rows(client, "SELECT state FROM channel_threads") == [("human",)],
               what="the thread held by the agent")
    deliver(client, message_created(44, "Thanks, and where do I change my password?"))
    wait_until(lambda: rows(client, "SELECT count(*) FROM webhook_outbox WHERE status = "
                                    "'delivered'") == [(3,)], what="all events worked")
    assert len(fake.messages(44, private=False)) == 1  # only the first answer
    assert len(agent.calls) == 1  # the agent was not even asked
    roles = rows(client, "SELECT role FROM messages ORDER BY id")
    assert [r[0] for r in roles] == ["customer", "assistant", "agent", "customer"]


def test_a_conversation_resolved_by_a_person_and_reopened_stays_with_people(desk: Any) -> None:
    client, fake, agent = desk
    deliver(client, message_created(45, "Export fails with error 500"))
    wait_until(lambda: fake.toggles(45), what="the hand-over")
    deliver(client, message_created(45, "Fixed on our side, please retry.",
                                    message_type="outgoing", sender=agent_user(), status="open"))
    deliver(client, conversation_event("conversation_resolved", 45, "resolved"))
    wait_until(lambda: rows(client, "SELECT state FROM channel_threads") == [("resolved",)],
               what="resolved")
    # The customer writes again; Chatwoot reopens it for the bot (pending).
    deliver(client, message_created(45, "It happens again", status="pending"))
    wait_until(lambda: len(fake.toggles(45)) == 2, what="handed straight back to people")
    assert len(agent.calls) == 1  # the bot stayed out of it
    assert len(fake.messages(45, private=False)) == 1  # no bot reply to the reopened one
    assert "reopened" in fake.messages(45, private=True)[-1].body["content"]
    assert rows(client, "SELECT reopened_at IS NOT NULL FROM conversations") == [(True,)]


def test_a_team_that_hands_a_human_request_back_to_the_bot_gets_the_bot_back(desk: Any) -> None:
    # The customer asked for a person; the team set the conversation back to pending without
    # replying. The help desk says who has it: the bot answers the next question (the widget's
    # waiting-for-a-person hold must not keep it silent).
    client, fake, agent = desk
    deliver(client, message_created(48, "I want a human please"))
    wait_until(lambda: rows(client, "SELECT state FROM channel_threads") == [("human",)],
               what="the hand-over")
    deliver(client, conversation_event("conversation_status_changed", 48, "pending"))
    wait_until(lambda: rows(client, "SELECT state FROM channel_threads") == [("bot",)],
               what="handed back to the bot")
    deliver(client, message_created(48, "How do I invite my team?", status="pending"))
    wait_until(lambda: len(agent.calls) == 2, what="the bot asked again")
    wait_until(lambda: len(fake.messages(48, private=False)) == 2, what="the bot's answer")


def test_only_incoming_public_messages_while_pending_are_answered(desk: Any) -> None:
    client, fake, agent = desk
    deliver(client, message_created(46, "Internal: check billing", private=True))
    deliver(client, message_created(46, "Where is the invoice?", status="open"))
    deliver(client, conversation_event("webwidget_triggered", 46, "pending"))
    wait_until(lambda: rows(client, "SELECT count(*) FROM webhook_outbox WHERE status = "
                                    "'delivered'") == [(3,)], what="all events worked")
    assert fake.calls == [] and agent.calls == []
    assert [r[0] for r in rows(client, "SELECT role FROM messages")] == ["customer"]


def test_a_bad_signature_gets_401_and_nothing_is_stored(desk: Any) -> None:
    client, fake, _agent = desk
    body, headers = signed(message_created(47, "How do I invite my team?"),
                           secret="not-the-bot-secret")
    assert client.post(ROUTE, content=body, headers=headers).status_code == 401
    stale_body, stale = signed(message_created(47, "hi"), timestamp=int(time.time()) - 3600)
    assert client.post(ROUTE, content=stale_body, headers=stale).status_code == 401
    unsigned = client.post(ROUTE, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert unsigned.json()["error_code"] == "unauthorized"
    for table in ("webhook_outbox", "channel_threads", "conversations", "inquiries"):
        assert rows(client, f"SELECT count(*) FROM {table}") == [(0,)], table
    time.sleep(0.2)
    assert fake.calls == []


def test_the_same_delivery_twice_is_worked_once(desk: Any) -> None:
    client, fake, agent = desk
    body, headers = signed(message_created(48, "How do I invite my team?"))
    assert client.post(ROUTE, content=body, headers=headers).json()["status"] == "accepted"
    assert client.post(ROUTE, content=body, headers=headers).json()["status"] == "duplicate"
    wait_until(lambda: fake.messages(48), what="the answer")
    time.sleep(0.2)
    assert len(fake.messages(48)) == 1 and len(agent.calls) == 1


def test_a_chatwoot_outage_is_retried_from_the_outbox(desk: Any) -> None:
    client, fake, agent = desk
    fake.fail_next = 3
    deliver(client, message_created(49, "How do I invite my team?"))
    wait_until(lambda: fake.messages(49), timeout_s=20, what="the answer after the outage")
    assert fake.failures == 3
    assert len(fake.messages(49)) == 1 and len(agent.calls) == 1  # asked once, sent once
    wait_until(lambda: rows(client, "SELECT status, attempts FROM webhook_outbox")
               == [("delivered", 4)], what="the event settled after four attempts")


# ---------------------------------------------------------------- a real process, killed


@contextlib.contextmanager
def served(db_url: str, fake: FakeChatwoot) -> Iterator[tuple[str, Any]]:
    environment = {
        "DATABASE_URL": db_url,
        "KOTAE_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "KOTAE_AGENT_FACTORY": "tests.integration.test_api_harness:agent_from_env",
        "KOTAE_CHATWOOT_URL": fake.url,
        "KOTAE_CHATWOOT_BOT_TOKEN": BOT_TOKEN,
        "KOTAE_CHATWOOT_WEBHOOK_SECRET": BOT_SECRET,
        "KOTAE_CHANNEL_POLL_S": "0.05",
        "KOTAE_CHANNEL_BACKOFF_S": "0.05",
        "KOTAE_CHANNEL_MAX_BACKOFF_S": "0.2",
        # An event claimed when the process dies is worked again once its claim runs out.
        "KOTAE_CHANNEL_CLAIM_S": "1",
        "KOTAE_CHANNEL_MAX_ATTEMPTS": "100000",
        "KOTAE_INQUIRY_LEASE_S": "1",
        "KOTAE_MAINTENANCE_S": "0.2",
        "KOTAE_GC_FREEZE": "false",
    }
    with uvicorn_process(["api:create_app", "--factory"], environment) as process:
        yield process


@pytest.mark.parametrize("backend", BACKENDS)
def test_nothing_is_lost_across_a_sigkill(backend: str, tmp_path: Path) -> None:
    url = database_url(backend, tmp_path)
    engine = create_engine(url)

    def count(query: str) -> Any:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar()

    try:
        with fake_chatwoot() as fake:
            fake.fail_next = 1_000_000  # Chatwoot is down while the first process lives
            with served(url, fake) as (base, process):
                body, headers = signed(message_created(50, "How do I invite my team?"))
                assert httpx.post(f"{base}{ROUTE}", content=body, headers=headers,
                                  timeout=10).status_code == 200
                wait_until(lambda: fake.failures >= 1, timeout_s=20, what="a failed reply")
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            assert count("SELECT status FROM webhook_outbox") == "pending"
            assert fake.calls == []
            fake.fail_next = 0
            with served(url, fake):
                wait_until(lambda: fake.messages(50), timeout_s=30, what="the answer")
                wait_until(lambda: count("SELECT status FROM webhook_outbox") == "delivered",
                           timeout_s=10, what="the event settled")
            assert len(fake.messages(50)) == 1
            assert count("SELECT count(*) FROM inquiries") == 1
    finally:
        engine.dispose()


def test_outside_office_hours_a_japanese_hand_over_says_when_and_asks_for_an_email(
        db_url: str, tmp_path: Path) -> None:
    from agent.policy import Policy
    from tests.support.chatwoot import contact

    policy_file = tmp_path / "policy.yaml"
    # Open one minute a day: closed whenever the test runs (but for that minute).
    policy_file.write_text(
        "extends: default\nhandoff:\n  office_hours:\n"
        "    - {team: support, language: ja, timezone: Asia/Tokyo, open: '00:00',"
        " close: '00:01', days: [mon, tue, wed, thu, fri, sat, sun]}\n", encoding="utf-8")
    agent = DeskAgent()
    agent.policy = Policy.load(policy_file)  # type: ignore[attr-defined]
    with fake_chatwoot() as fake, client_for(db_url, agent=agent, **settings(fake)) as client:
        payload = message_created(61, "エクスポートでエラーが出ます")
        payload["sender"] = contact(email=None)
        deliver(client, payload)
        wait_until(lambda: fake.toggles(61), what="the hand-over")
        notice = fake.messages(61, private=False)[0].body["content"]
    assert "ただいま営業時間外です。" in notice
    assert "（Asia/Tokyo）以降に担当者よりご返信いたします。" in notice
    assert notice.endswith("ご返信のため、こちらにメールアドレスをご記入ください。")
