"""The customer side: inquiries, follow-ups, streaming, idempotency, feedback, and what the
widget sees when the agent fails. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from errors import ModelError, StoreError
from storage.models import InquiryRow, OutboxRow
from tests.integration.test_api_harness import (
    FakeAgent,
    ask,
    auth,
    client_for,
    conversation,
    services_of,
    wait_until,
)


def sse_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_an_answered_inquiry_returns_the_decision_and_a_conversation_token(
    client: TestClient,
) -> None:
    result = ask(client, "How do I invite my team?")
    assert result["status"] == "answered"
    assert result["decision"]["answer"].startswith("Open Settings")
    assert result["decision"]["citations"][0]["id"] == "kb-start"
    assert result["decision"]["inquiry_id"] == result["inquiry_id"]
    assert result["conversation_token"]
    messages = conversation(client, result)["messages"]
    assert [m["role"] for m in messages] == ["customer", "assistant"]


def test_a_follow_up_gives_the_agent_the_conversation_so_far(
    client: TestClient, agent: FakeAgent
) -> None:
    first = ask(client, "How do I invite my team?")
    second = ask(
        client,
        "And how do I remove someone?",
        conversation_id=first["conversation_id"],
        token=first["conversation_token"],
    )
    assert second["conversation_id"] == first["conversation_id"]
    assert second["conversation_token"] == first["conversation_token"]
    history = agent.calls[-1].history
    assert [(m.role, m.text[:12]) for m in history] == [
        ("customer", "How do I inv"),
        ("assistant", "Open Setting"),
    ]
    assert len(conversation(client, first)["messages"]) == 4


def test_a_follow_up_without_the_conversation_token_is_refused(client: TestClient) -> None:
    first = ask(client, "How do I invite my team?")
    for token in (None, "wrong-token"):
        headers = auth("widget", **({"X-Conversation-Token": token} if token else {}))
        response = client.post(
            "/v1/inquiries",
            headers=headers,
            json={"text": "hello", "conversation_id": first["conversation_id"]},
        )
        assert response.status_code == 403
        assert "X-Conversation-Token" in response.json()["hint"]


def test_a_follow_up_in_an_unknown_conversation_is_404(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries",
        headers=auth("widget"),
        json={"text": "hello", "conversation_id": "conv_nope"},
    )
    assert response.status_code == 404


def test_the_inquiry_is_stored_before_the_agent_is_called(
    client: TestClient, agent: FakeAgent
) -> None:
    seen: list[str] = []
    handle = agent.handle

    def spying(inquiry: Any, **kwargs: Any) -> Any:
        with services_of(client).db.session() as session:
            row = session.get(InquiryRow, inquiry.id)
            seen.append(row.status if row else "missing")
        return handle(inquiry, **kwargs)

    agent.handle = spying  # type: ignore[method-assign]
    services_of(client).agent = agent
    ask(client, "How do I invite my team?")
    assert seen == ["received"]


def test_an_escalation_tells_the_customer_a_person_will_reply(client: TestClient) -> None:
    result = ask(client, "Can a human help me?")
    assert result["status"] == "escalated"
    assert result["escalation_id"].startswith("esc_")
    assert "a person will reply" in result["notice"]
    assert result["degraded"] is False
    # The draft is for support agents, not for the widget.
    assert result["decision"]["escalation"]["draft"] is None
    escalation = client.get(
        f"/v1/escalations/{result['escalation_id']}", headers=auth("agent")
    ).json()
    assert escalation["draft"] == "Draft: here is how to get started."


def test_the_agents_own_hand_over_message_is_what_the_customer_reads(db_url: str) -> None:
    class Polite(FakeAgent):
        def handle(self, inquiry: Any, **kwargs: Any) -> Any:
            decision = super().handle(inquiry, **kwargs)
            return decision.model_copy(update={"answer": "Our billing team will write to you."})

    with client_for(db_url, agent=Polite()) as client:
        result = ask(client, "Refund please, human")
        messages = conversation(client, result)["messages"]
    assert result["notice"] == "Our billing team will write to you."
    assert messages[-1] == {
        **messages[-1],
        "role": "assistant",
        "text": "Our billing team will write to you.",
    }


def test_japanese_escalations_are_announced_in_japanese(client: TestClient) -> None:
    result = ask(client, "担当者と話したい human", language="ja")
    assert result["notice"].startswith("お問い合わせありがとうございます")


def test_signals_are_stored_but_not_shown_to_the_widget(client: TestClient) -> None:
    result = ask(client, "We need 30 more seats", customer={"account_id": "acme"})
    assert result["decision"]["signals"] == []
    signals = client.get("/v1/signals", headers=auth("csm")).json()["items"]
    assert [(s["kind"], s["account_id"]) for s in signals] == [("expansion", "acme")]


def test_admin_sees_the_whole_decision(client: TestClient) -> None:
    result = ask(client, "We need 30 more seats", role="admin", customer={"account_id": "acme"})
    assert result["decision"]["signals"][0]["kind"] == "expansion"
    assert result["decision"]["retrieved"]


def test_the_idempotency_key_returns_the_first_result(client: TestClient, agent: FakeAgent) -> None:
    headers = auth("widget", **{"Idempotency-Key": "3f0c2a9e-1b7d-4c55-9a61-0d2f1e8b7c44"})
    body = {"text": "How do I invite my team?"}
    first = client.post("/v1/inquiries", json=body, headers=headers)
    again = client.post("/v1/inquiries", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(agent.calls) == 1
    # Even the conversation token comes back, though only its hash is stored.
    assert conversation(client, again.json())["id"] == first.json()["conversation_id"]


def test_an_idempotency_key_reused_for_another_body_is_409(client: TestClient) -> None:
    headers = auth("widget", **{"Idempotency-Key": "key-0123456789-abcdef"})
    client.post("/v1/inquiries", json={"text": "first question"}, headers=headers)
    response = client.post("/v1/inquiries", json={"text": "second question"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["error_code"] == "conflict"


def test_a_short_idempotency_key_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries", json={"text": "hi"}, headers=auth("widget", **{"Idempotency-Key": "1"})
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_idempotency_keys_belong_to_one_api_key(client: TestClient, agent: FakeAgent) -> None:
    key = {"Idempotency-Key": "shared-key-0123456789"}
    client.post("/v1/inquiries", json={"text": "hi there"}, headers=auth("widget", **key))
    client.post("/v1/inquiries", json={"text": "hi there"}, headers=auth("admin", **key))
    assert len(agent.calls) == 2


def test_concurrent_retries_with_one_key_create_one_inquiry(db_url: str) -> None:
    agent = FakeAgent(delay_s=0.3)
    with client_for(db_url, agent=agent) as client:
        headers = auth("widget", **{"Idempotency-Key": "race-0123456789-abcdef"})
        results: list[Any] = []

        def post() -> None:
            results.append(client.post("/v1/inquiries", json={"text": "hi there"}, headers=headers))

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with services_of(client).db.session() as session:
            count = len(session.scalars(select(InquiryRow)).all())
    assert count == 1
    assert len(agent.calls) == 1
    created = [r for r in results if r.status_code == 201]
    assert created, [r.text for r in results]
    assert {r.json()["inquiry_id"] for r in created} == {created[0].json()["inquiry_id"]}
    assert all(r.status_code in (201, 409) for r in results)


def test_streaming_sends_tokens_then_the_decision(client: TestClient) -> None:
    with client.stream(
        "POST",
        "/v1/inquiries",
        json={"text": "How do I invite people?"},
        headers=auth("widget", Accept="text/event-stream"),
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "decision" and set(kinds[:-1]) == {"token"} and len(kinds) > 2
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    final = events[-1][1]
    assert streamed.strip() == final["decision"]["answer"]
    assert final["conversation_token"]


def test_a_streamed_inquiry_is_recorded_even_if_the_client_leaves(db_url: str) -> None:
    agent = FakeAgent(delay_s=0.3)
    with client_for(db_url, agent=agent) as client:
        with client.stream(
            "POST",
            "/v1/inquiries",
            json={"text": "hello there"},
            headers=auth("widget", Accept="text/event-stream"),
        ) as response:
            assert response.status_code == 201  # then leave without reading

        def decided() -> bool:
            with services_of(client).db.session() as session:
                rows = session.scalars(select(InquiryRow)).all()
            return bool(rows) and rows[0].status == "decided"

        wait_until(decided)


def test_feedback_is_stored_and_replaced(client: TestClient) -> None:
    result = ask(client, "How do I invite my team?")
    headers = auth("widget", **{"X-Conversation-Token": result["conversation_token"]})
    url = f"/v1/inquiries/{result['inquiry_id']}/feedback"
    assert client.post(url, json={"helpful": False}, headers=headers).status_code == 200
    response = client.post(url, json={"helpful": True, "comment": "thanks!"}, headers=headers)
    assert response.json()["helpful"] is True
    summary = client.get("/v1/analytics/summary", headers=auth("admin")).json()
    assert (summary["feedback"], summary["helpful_rate"]) == (1, 1.0)


def test_feedback_needs_the_conversation_token(client: TestClient) -> None:
    result = ask(client, "How do I invite my team?")
    response = client.post(
        f"/v1/inquiries/{result['inquiry_id']}/feedback",
        json={"helpful": True},
        headers=auth("widget"),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("failure", "reason", "words"),
    [
        (ModelError("the model timed out"), "llm_unavailable", "the agent failed: ModelError"),
        (RuntimeError("boom"), "llm_unavailable", "the agent failed: RuntimeError"),
        (StoreError("chroma is down"), "low_confidence", "retrieval unavailable"),
    ],
)
def test_an_agent_outage_escalates_instead_of_failing(
    db_url: str, failure: Exception, reason: str, words: str
) -> None:
    with client_for(db_url, agent=FakeAgent(fail=failure)) as client:
        response = client.post(
            "/v1/inquiries", json={"text": "How do I invite my team?"}, headers=auth("widget")
        )
        assert response.status_code == 201
        result = response.json()
        escalation = client.get(
            f"/v1/escalations/{result['escalation_id']}", headers=auth("agent")
        ).json()
    assert result["status"] == "escalated" and result["degraded"] is True
    assert result["decision"]["escalation"]["reason"] == reason
    assert words in result["decision"]["escalation"]["detail"]
    assert "unavailable right now" in result["notice"]
    assert escalation["reason"] == reason


def test_an_agent_that_hangs_is_escalated_after_the_timeout(db_url: str) -> None:
    agent = FakeAgent(delay_s=1.5)
    with client_for(db_url, agent=agent, agent_timeout_s=0.3) as client:
        result = ask(client, "How do I invite my team?")
        answered_before_the_agent = agent.finished == 0
        wait_until(lambda: agent.finished == 1)  # the late answer must change nothing
        time.sleep(0.2)
        messages = conversation(client, result)["messages"]
    assert answered_before_the_agent
    assert result["decision"]["escalation"]["reason"] == "llm_unavailable"
    assert "did not answer within 0.3 s" in result["decision"]["escalation"]["detail"]
    assert [m["role"] for m in messages] == ["customer", "assistant"]
    assert "unavailable right now" in messages[1]["text"]


def test_an_empty_answer_is_escalated_not_sent(db_url: str) -> None:
    class Mute(FakeAgent):
        def handle(self, inquiry: Any, **kwargs: Any) -> Any:
            return super().handle(inquiry, **kwargs).model_copy(update={"answer": "  "})

    with client_for(db_url, agent=Mute()) as client:
        result = ask(client, "How do I invite my team?")
    assert result["status"] == "escalated"
    assert result["decision"]["escalation"]["detail"] == "the agent produced an empty answer"


def test_escalations_and_signals_write_webhook_events_in_the_outbox(client: TestClient) -> None:
    ask(client, "I want to cancel, get me a human", customer={"account_id": "acme"})
    ask(client, "We need more seats", customer={"account_id": "acme"})
    with services_of(client).db.session() as session:
        events = sorted(row.event for row in session.scalars(select(OutboxRow)))
    assert events == ["escalation.created", "signal.created"]


def test_a_second_server_does_not_take_over_an_inquiry_being_answered(db_url: str) -> None:
    slow, idle = FakeAgent(delay_s=2.0), FakeAgent()
    fast_loops = {"inquiry_lease_s": 1.2, "maintenance_s": 0.1}
    with (
        client_for(db_url, agent=slow, **fast_loops) as busy,
        client_for(db_url, agent=idle, **fast_loops),
    ):
        result = ask(busy, "How do I invite my team?")
        with services_of(busy).db.session() as session:
            row = session.get(InquiryRow, result["inquiry_id"])
    assert result["status"] == "answered"
    assert idle.calls == []  # the lease was renewed while the slow agent worked
    assert row is not None and row.attempts == 1


@pytest.mark.parametrize(("tag", "language"), [("ja-JP", "ja"), ("en-US", "en"), ("JA", "ja"),
                                               ("en_GB", "en")])
def test_a_browser_language_tag_is_reduced_to_its_language(
    client: TestClient, agent: FakeAgent, tag: str, language: str
) -> None:
    text = "請求書の宛名を変更したい" if language == "ja" else "How do I change the invoice address?"
    result = ask(client, text, language=tag)
    assert agent.calls[-1].language == language
    assert conversation(client, result)["language"] == language


def test_an_unsupported_language_is_refused_and_nothing_is_stored(
    client: TestClient, agent: FakeAgent
) -> None:
    before = len(agent.calls)
    response = client.post("/v1/inquiries", json={"text": "Bonjour", "language": "fr-FR"},
                           headers=auth("widget"))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "body.language"
    assert "'en' or 'ja'" in error["message"]
    assert len(agent.calls) == before
