"""Hand-over control in the widget, on SQLite and PostgreSQL: no talking over a person who
claimed a conversation, nor over one the customer asked for and is waiting for (English and
Japanese), a conversation a person resolved stays with people when reopened (English and
Japanese), and a three-turn loop goes to a person."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.integration.test_api_harness import FakeAgent, ask, auth, conversation, services_of


def post(client: TestClient, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(path, json=body, headers=auth("agent"))
    assert response.status_code == 200, response.text
    value: dict[str, Any] = response.json()
    return value


def escalation(client: TestClient, escalation_id: str) -> dict[str, Any]:
    value: dict[str, Any] = client.get(f"/v1/escalations/{escalation_id}",
                                       headers=auth("agent")).json()
    return value


def test_no_bot_answer_once_a_person_claimed_the_conversation(client: TestClient,
                                                              agent: FakeAgent) -> None:
    first = ask(client, "I want a human about my invoice")
    esc = first["escalation_id"]
    post(client, f"/v1/escalations/{esc}/claim", {"assignee": "aiko"})
    follow = ask(client, "How do I invite my team?", conversation_id=first["conversation_id"],
                 token=first["conversation_token"])
    assert follow["status"] == "escalated"
    assert follow["escalation_id"] == esc  # the same person's escalation, no second one
    assert follow["notice"].startswith("A person from our team is handling")
    assert "held" in follow["decision"]["flags"]
    assert len(agent.calls) == 1  # the agent was not asked
    with services_of(client).db.session() as session:
        count = session.execute(text("SELECT count(*) FROM escalations")).scalar()
        roles = session.execute(text("SELECT role FROM messages ORDER BY id")).scalars().all()
    assert count == 1
    assert roles == ["customer", "assistant", "customer"]  # the bot said nothing more


def test_while_the_customer_waits_for_the_person_they_asked_for_the_bot_stays_silent(
        client: TestClient, agent: FakeAgent) -> None:
    first = ask(client, "I want to talk to a human")
    esc = first["escalation_id"]
    assert esc is not None and escalation(client, esc)["status"] == "open"
    conversation = {"conversation_id": first["conversation_id"],
                    "token": first["conversation_token"]}
    for text_ in ("Are you there?", "How do I invite my team?"):
        waiting = ask(client, text_, **conversation)
        assert waiting["status"] == "escalated"
        assert waiting["escalation_id"] == esc  # the same request, no second row
        assert waiting["notice"].startswith("Your message has been added to your request")
        assert "held" in waiting["decision"]["flags"]
    assert len(agent.calls) == 1  # the agent was asked only the first time
    with services_of(client).db.session() as session:
        count = session.execute(text("SELECT count(*) FROM escalations")).scalar()
        roles = session.execute(text("SELECT role FROM messages ORDER BY id")).scalars().all()
    assert count == 1
    assert roles == ["customer", "assistant", "customer", "customer"]


def test_a_japanese_customer_waiting_for_a_person_is_told_so_in_japanese(
        client: TestClient, agent: FakeAgent) -> None:
    first = ask(client, "担当者と話したい human", language="ja")
    waiting = ask(client, "まだですか？", language="ja", conversation_id=first["conversation_id"],
                  token=first["conversation_token"])
    assert waiting["escalation_id"] == first["escalation_id"]
    assert waiting["notice"] == "いただいたメッセージを担当者への依頼に追加しました。担当者より順番にこちらでご返信いたします。"
    assert len(agent.calls) == 1


def test_a_resolved_conversation_the_customer_reopens_stays_with_people(
        client: TestClient, agent: FakeAgent) -> None:
    first = ask(client, "I want a human about my invoice")
    esc = first["escalation_id"]
    post(client, f"/v1/escalations/{esc}/claim", {"assignee": "aiko"})
    post(client, f"/v1/escalations/{esc}/resolve", {"answer": "Your invoice is attached."})
    again = ask(client, "Thanks! Also, how do I invite my team?",
                conversation_id=first["conversation_id"], token=first["conversation_token"])
    assert again["status"] == "escalated"
    assert again["notice"].startswith("Thank you; we have reopened this conversation")
    assert len(agent.calls) == 1
    reopened = escalation(client, esc)
    assert (reopened["status"], reopened["assignee"]) == ("claimed", "aiko")
    with services_of(client).db.session() as session:
        assert session.execute(text("SELECT reopened_at IS NOT NULL FROM conversations")
                               ).scalar()


def test_a_japanese_reopened_conversation_is_told_so_in_japanese(client: TestClient) -> None:
    first = ask(client, "担当者と話したい human", language="ja")
    esc = first["escalation_id"]
    resolver = post(client, f"/v1/escalations/{esc}/resolve",
                    {"answer": "請求書を添付しました。"})["assignee"]
    again = ask(client, "ありがとうございます。もう一つ質問があります。", language="ja",
                conversation_id=first["conversation_id"], token=first["conversation_token"])
    assert again["notice"] == "ありがとうございます。この会話を再開しました。担当者よりこちらでご返信いたします。"
    back = escalation(client, esc)
    assert (back["status"], back["assignee"]) == ("claimed", resolver)  # to who resolved it


def test_the_third_time_the_same_question_is_asked_it_goes_to_a_person(
        client: TestClient, agent: FakeAgent) -> None:
    first = ask(client, "How do I export my data?")
    conversation = {"conversation_id": first["conversation_id"],
                    "token": first["conversation_token"]}
    second = ask(client, "how do I export my data??", **conversation)
    assert second["status"] == "answered"
    third = ask(client, "How do I export my data", **conversation)
    assert third["status"] == "escalated"
    assert third["decision"]["escalation"]["reason"] == "repeated_question"
    assert len(agent.calls) == 2  # the third was handed over without the agent


def test_asking_for_a_person_while_escalated_for_another_reason_keeps_the_bot_silent(
        client: TestClient, agent: FakeAgent) -> None:
    # Escalated as a sensitive topic; then the customer presses "talk to a person", with a
    # comment: the same escalation, the comment kept, and the bot no longer answers.
    for language, first_text, comment, waiting_text, notice in (
            ("en", "I want to cancel my subscription", "Please call me back", "Are you there?",
             "Your message has been added to your request"),
            ("ja", "解約したい cancel", "折り返し電話をください", "まだですか？",
             "いただいたメッセージを担当者への依頼に追加しました")):
        first = ask(client, first_text, language=language)
        esc = first["escalation_id"]
        assert escalation(client, esc)["reason"] == "sensitive_topic"
        calls = len(agent.calls)
        headers = auth("widget", **{"X-Conversation-Token": first["conversation_token"]})
        pressed = client.post(f"/v1/conversations/{first['conversation_id']}/human",
                              json={"comment": comment}, headers=headers)
        assert pressed.status_code == 200 and pressed.json()["escalation_id"] == esc
        assert pressed.json()["created"] is False
        waiting = ask(client, waiting_text, language=language,
                      conversation_id=first["conversation_id"], token=first["conversation_token"])
        assert waiting["escalation_id"] == esc and waiting["notice"].startswith(notice)
        assert "held" in waiting["decision"]["flags"]
        assert len(agent.calls) == calls  # the agent was not asked again
        transcript = conversation(client, first)["messages"]
        said = [m["text"] for m in transcript if m["role"] == "customer"]
        assert said == [first_text, comment, waiting_text]
        # What the widget showed on the press is in the transcript too, after the comment.
        assert [(m["role"], m["text"]) for m in transcript][2:4] == [
            ("customer", comment), ("assistant", pressed.json()["notice"])]
        assert [m["role"] for m in transcript] == [
            "customer", "assistant", "customer", "assistant", "customer"]
        after = escalation(client, esc)
        assert after["reason"] == "sensitive_topic" and after["person_requested_at"]
