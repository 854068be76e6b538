"""Conversations: a customer asking for a person at any point. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.test_api_harness import ask, auth, conversation


def test_asking_for_a_human_escalates_once(client: TestClient) -> None:
    result = ask(client, "How do I invite my team?")
    headers = auth("widget", **{"X-Conversation-Token": result["conversation_token"]})
    url = f"/v1/conversations/{result['conversation_id']}/human"
    first = client.post(url, json={"comment": "the steps did not work"}, headers=headers)
    again = client.post(url, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["escalation_id"] == again.json()["escalation_id"]
    escalation = client.get(
        f"/v1/escalations/{first.json()['escalation_id']}", headers=auth("agent")
    ).json()
    assert escalation["reason"] == "human_requested"
    assert escalation["inquiry_id"] == result["inquiry_id"]
    assert escalation["draft"].startswith("Open Settings")  # the answer given, to edit
    roles = [m["role"] for m in conversation(client, result)["messages"]]
    assert roles == ["customer", "assistant", "customer", "assistant"]
    # An answer the customer then took to a person was not a deflection.
    summary = client.get("/v1/analytics/summary", headers=auth("admin")).json()
    assert summary["deflection_rate"] == 0.0
    assert summary["escalation_reasons"] == {"human_requested": 1}
