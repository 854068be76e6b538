"""The support-agent side: the queue, one escalation, claim, resolve, reopen, and the
learning loop (an approved resolution answers the very next inquiry). Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from errors import StoreError
from tests.integration.test_api_harness import (
    FakeAgent,
    ask,
    auth,
    client_for,
    services_of,
    wait_until,
)


def queue(client: TestClient, **filters: Any) -> dict[str, Any]:
    response = client.get("/v1/escalations", params=filters, headers=auth("agent"))
    assert response.status_code == 200, response.text
    value: dict[str, Any] = response.json()
    return value


def escalate(
    client: TestClient, text: str = "Please get me a human", **body: Any
) -> dict[str, Any]:
    result = ask(client, text, **body)
    assert result["status"] == "escalated"
    return result


def post(
    client: TestClient, path: str, body: dict[str, Any] | None = None, role: str = "agent"
) -> Any:
    return client.post(path, json=body, headers=auth(role))


def test_the_queue_lists_open_escalations_oldest_first(client: TestClient) -> None:
    first = escalate(client)
    second = escalate(client, "I want to cancel", customer={"account_id": "acme"})
    page = queue(client)
    assert [e["id"] for e in page["items"]] == [first["escalation_id"], second["escalation_id"]]
    assert page["total"] == 2
    assert page["items"][1]["account_id"] == "acme"
    assert page["items"][0]["age_s"] >= 0


FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"reason": "human_requested"}, ["human", "ja"]),
    ({"reason": "sensitive_topic"}, ["cancel"]),
    ({"language": "ja"}, ["ja"]),
    ({"tag": "usage_question", "language": "en"}, ["human", "cancel"]),
    ({"status": "claimed"}, []),
    ({"status": "open", "min_age_s": 3600}, []),
    ({"min_age_s": 0}, ["human", "cancel", "ja"]),
    ({"account_id": "acme"}, ["cancel"]),
]


def test_the_queue_filters_by_status_reason_tag_language_age_and_account(
    client: TestClient,
) -> None:
    ids = {
        "human": escalate(client)["escalation_id"],
        "cancel": escalate(client, "I will cancel", customer={"account_id": "acme"})[
            "escalation_id"
        ],
        "ja": escalate(client, "担当者 human お願いします", language="ja")["escalation_id"],
    }
    names = {v: k for k, v in ids.items()}
    for filters, expected in FILTER_CASES:
        found = [names[e["id"]] for e in queue(client, **filters)["items"]]
        assert found == expected, filters


def test_the_queue_pages(client: TestClient) -> None:
    for _ in range(3):
        escalate(client)
    page = queue(client, limit=2, offset=2)
    assert (len(page["items"]), page["total"], page["offset"]) == (1, 3, 2)


def test_an_invalid_filter_is_422_naming_it(client: TestClient) -> None:
    response = client.get("/v1/escalations", params={"reason": "whim"}, headers=auth("agent"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.reason"


def test_one_escalation_comes_with_conversation_sources_and_draft(client: TestClient) -> None:
    result = escalate(client)
    detail = client.get(f"/v1/escalations/{result['escalation_id']}", headers=auth("agent")).json()
    assert detail["question"] == "Please get me a human"
    assert detail["draft"] == "Draft: here is how to get started."
    assert [s["id"] for s in detail["sources"]] == ["kb-start"]
    assert [m["role"] for m in detail["conversation"]["messages"]] == ["customer", "assistant"]
    assert detail["decision"]["escalation"]["reason"] == "human_requested"


def test_claiming_assigns_and_a_second_claimant_gets_409(client: TestClient) -> None:
    esc = escalate(client)["escalation_id"]
    claimed = post(client, f"/v1/escalations/{esc}/claim", {"assignee": "Aiko"})
    assert claimed.status_code == 200
    assert (claimed.json()["status"], claimed.json()["assignee"]) == ("claimed", "Aiko")
    assert post(client, f"/v1/escalations/{esc}/claim", {"assignee": "Aiko"}).status_code == 200
    clash = post(client, f"/v1/escalations/{esc}/claim", {"assignee": "Ben"})
    assert clash.status_code == 409
    assert "Aiko" in clash.json()["detail"]


def test_claiming_without_a_name_uses_the_key_label(client: TestClient) -> None:
    esc = escalate(client)["escalation_id"]
    assert (
        post(client, f"/v1/escalations/{esc}/claim").json()["assignee"] == "agent (KOTAE_API_KEYS)"
    )


def test_resolving_answers_the_customer_and_teaches_the_agent_once_approved(
    client: TestClient, agent: FakeAgent
) -> None:
    result = escalate(
        client, "How do I export invoices to CSV? human please", customer={"account_id": "acme"}
    )
    esc = result["escalation_id"]
    resolved = post(
        client,
        f"/v1/escalations/{esc}/resolve",
        {"answer": "Billing > Invoices > Export CSV.", "tag": "usage_question"},
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    # Proposed for reuse, not learned until a person approves it.
    assert (resolved.json()["learned"], resolved.json()["precedent_status"]) == (False, "pending")
    assert esc not in agent.learned
    before = ask(client, "how can I export my invoices as CSV", role="admin")
    assert before["decision"]["answer"] != "Billing > Invoices > Export CSV."
    approved = post(client, f"/v1/precedents/{esc}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["learned"]) == ("approved", True)
    ticket = agent.learned[esc]
    assert ticket.resolution == "Billing > Invoices > Export CSV."
    assert "export invoices" in ticket.body
    assert (ticket.tag, ticket.account_id) == ("usage_question", "acme")
    # The customer sees the agent's answer in their conversation ...
    conversation = client.get(
        f"/v1/conversations/{result['conversation_id']}",
        headers=auth("widget", **{"X-Conversation-Token": result["conversation_token"]}),
    ).json()
    assert conversation["messages"][-1]["role"] == "agent"
    assert conversation["messages"][-1]["text"] == "Billing > Invoices > Export CSV."
    assert conversation["messages"][-1]["author"] is None  # not shown to customers
    assert conversation["open_escalation_id"] is None
    # ... and the very next inquiry is answered from it.
    follow = ask(client, "how can I export my invoices as CSV", role="admin")
    assert follow["decision"]["answer"] == "Billing > Invoices > Export CSV."
    assert follow["decision"]["citations"][0] == {
        "id": esc,
        "title": follow["decision"]["citations"][0]["title"],
        "url": None,
        "source": "ticket",
        "score": 0.95,
    }


def test_resolving_twice_is_409(client: TestClient) -> None:
    esc = escalate(client)["escalation_id"]
    assert post(client, f"/v1/escalations/{esc}/resolve", {"answer": "Done."}).status_code == 200
    again = post(client, f"/v1/escalations/{esc}/resolve", {"answer": "Again."})
    assert again.status_code == 409
    assert "resolved" in again.json()["detail"]


def test_a_blank_resolution_is_422(client: TestClient) -> None:
    esc = escalate(client)["escalation_id"]
    response = post(client, f"/v1/escalations/{esc}/resolve", {"answer": " "})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.answer"


def test_reopening_puts_it_back_in_the_queue_and_resolving_again_relearns(
    client: TestClient, agent: FakeAgent
) -> None:
    esc = escalate(client)["escalation_id"]
    post(client, f"/v1/escalations/{esc}/claim", {"assignee": "Aiko"})
    post(client, f"/v1/escalations/{esc}/resolve", {"answer": "First try."})
    reopened = post(client, f"/v1/escalations/{esc}/reopen")
    assert (reopened.json()["status"], reopened.json()["assignee"]) == ("open", None)
    assert post(client, f"/v1/escalations/{esc}/reopen").status_code == 409
    assert queue(client, status="open")["items"][0]["precedent_status"] is None
    post(client, f"/v1/escalations/{esc}/resolve", {"answer": "Second try."})
    post(client, f"/v1/precedents/{esc}/approve")
    assert agent.learned[esc].resolution == "Second try."


def test_unknown_escalations_are_404(client: TestClient) -> None:
    for path, body in (("claim", None), ("resolve", {"answer": "x"}), ("reopen", None)):
        response = post(client, f"/v1/escalations/esc_nope/{path}", body)
        assert response.status_code == 404, path


def test_a_resolution_the_agent_could_not_learn_is_learned_later(db_url: str) -> None:
    agent = FakeAgent()
    agent.fail_learning = StoreError("the index is being rebuilt")
    with client_for(db_url, agent=agent) as client:
        esc = escalate(client)["escalation_id"]
        post(client, f"/v1/escalations/{esc}/resolve", {"answer": "Done."})
        approved = post(client, f"/v1/precedents/{esc}/approve")
        assert (approved.json()["status"], approved.json()["learned"]) == ("approved", False)
        agent.fail_learning = None
        worker = services_of(client).worker
        # The background pass retries after the resolve request settles.
        wait_until(lambda: worker.learn_once(settle_s=0.0) or esc in agent.learned)
        assert queue(client, status="resolved")["items"][0]["learned"] is True


def test_the_maintenance_loop_lets_the_agent_catch_up_with_other_workers(db_url: str) -> None:
    agent = FakeAgent()
    with client_for(db_url, agent=agent, maintenance_s=0.05):
        wait_until(lambda: agent.refreshes >= 3, what="three maintenance passes")


def test_the_escalation_queue_filters_by_a_language_tag(client: TestClient) -> None:
    ask(client, "担当者と話したい human", language="ja")
    ask(client, "I want to talk to a human", language="en")
    for tag in ("ja", "ja-JP"):
        items = client.get("/v1/escalations", params={"language": tag},
                           headers=auth("agent")).json()["items"]
        assert items and {item["language"] for item in items} == {"ja"}
