"""What the widget and the console are given to show: answers and replies as sanitised HTML,
the queue's question preview, a key's own role, Excel-ready CSV, the demo page in both
languages, the offline /docs. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from agent.markup import to_html
from tests.integration.test_api_harness import KEYS, ask, auth, conversation
from tests.integration.test_api_inquiries import sse_events

MARKDOWN_REPLY = """Thanks for waiting. To move to **invoice billing**:

1. Open **Billing > Payment method**.
2. Choose *Invoice* and save. <script>alert(1)</script>

| Plan | Invoice billing |
|---|---|
| Team | no |
| Business | yes |

More at https://help.example/invoices and [the billing FAQ](javascript:alert(1))."""


def escalate_and_resolve(client: TestClient, answer: str) -> dict[str, Any]:
    """Open an escalation with a human request, resolve it with answer; return the inquiry."""
    result = ask(client, "I want a human about invoice billing for the team")
    response = client.post(f"/v1/escalations/{result['escalation_id']}/resolve",
                           json={"answer": answer}, headers=auth("agent"))
    assert response.status_code == 200, response.text
    return result


def test_an_answer_comes_with_its_html_as_json_and_in_the_streamed_decision(
    client: TestClient,
) -> None:
    result = ask(client, "How do I invite my team?")
    assert result["answer_html"] == to_html(result["decision"]["answer"])
    with client.stream("POST", "/v1/inquiries", json={"text": "How do I invite people?"},
                       headers=auth("widget", Accept="text/event-stream")) as response:
        assert response.status_code == 201  # created, as without streaming
        events = sse_events(response.read().decode())
    tokens = [data for kind, data in events if kind == "token"]
    assert tokens and all("answer_html" not in data for data in tokens)  # plain text while typing
    decision = events[-1][1]
    assert decision["answer_html"] == to_html(decision["decision"]["answer"])


def test_an_escalation_notice_comes_with_its_html(client: TestClient) -> None:
    result = ask(client, "Can a human help me?")
    assert result["status"] == "escalated"
    shown = result["decision"]["answer"] or result["notice"]
    assert result["answer_html"] == to_html(shown)


def test_the_hand_over_notices_are_marked_so_a_reloaded_widget_shows_them_as_such(
    client: TestClient,
) -> None:
    answered = ask(client, "How do I invite my team?")
    response = client.post(f"/v1/conversations/{answered['conversation_id']}/human", json={},
                           headers=auth("widget", **{
                               "X-Conversation-Token": answered["conversation_token"]}))
    assert response.status_code == 201, response.text
    pressed = [(m["role"], m["handed_over"]) for m in conversation(client, answered)["messages"]]
    # the answer, then the notice "Talk to a human" gave
    assert pressed == [("customer", False), ("assistant", False), ("assistant", True)], pressed
    asked = ask(client, "Can a human help me?")
    assert asked["status"] == "escalated"
    typed = [(m["role"], m["handed_over"]) for m in conversation(client, asked)["messages"]]
    assert typed == [("customer", False), ("assistant", True)], typed


def test_an_answer_in_markdown_renders_as_a_list_a_table_and_links_and_nothing_runs(
    client: TestClient,
) -> None:
    escalated = escalate_and_resolve(client, MARKDOWN_REPLY)
    approved = client.post(f"/v1/precedents/{escalated['escalation_id']}/approve",
                           headers=auth("agent"))
    assert approved.status_code == 200, approved.text
    # The fake agent answers from the learned resolution when the words match.
    result = ask(client, "How do we move the team to invoice billing?")
    assert result["decision"]["answer"] == MARKDOWN_REPLY
    soup = BeautifulSoup(result["answer_html"], "html.parser")
    assert [li.get_text() for li in soup.select("ol > li")] == [
        "Open Billing > Payment method.", "Choose Invoice and save. <script>alert(1)</script>"]
    assert [td.get_text() for td in soup.select("table tbody td")] == [
        "Team", "no", "Business", "yes"]
    assert soup.find("script") is None  # written in the source, shown as text, never run
    links = {a["href"]: a.get_text() for a in soup.find_all("a")}
    assert links == {"https://help.example/invoices": "https://help.example/invoices"}
    assert "**" not in soup.get_text() and "|---|" not in result["answer_html"]


def test_agents_replies_render_and_customers_words_stay_text(client: TestClient) -> None:
    result = escalate_and_resolve(client, MARKDOWN_REPLY)
    follow_up = ask(client, "**thanks** <b>a lot</b> 1. ok",
                    conversation_id=result["conversation_id"],
                    token=result["conversation_token"])
    messages = conversation(client, follow_up)["messages"]
    by_role: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_role.setdefault(message["role"], []).append(message)
    assert all(m["text_html"] is None for m in by_role["customer"])
    reply = by_role["agent"][0]
    assert reply["text"] == MARKDOWN_REPLY  # the text is kept as written
    soup = BeautifulSoup(reply["text_html"], "html.parser")
    assert len(soup.select("ol > li")) == 2 and soup.find("table") is not None
    assert soup.find("script") is None
    assert all(m["text_html"] for m in by_role["assistant"])


def test_the_queue_shows_the_start_of_each_question_on_one_line(client: TestClient) -> None:
    long_question = "I need a human.\n\n" + "Our export keeps failing at night. " * 20
    ask(client, long_question)
    ask(client, "人間の担当者 human さんと話したいです")
    items = client.get("/v1/escalations", headers=auth("agent")).json()["items"]
    previews = [item["preview"] for item in items]
    assert previews[1] == "人間の担当者 human さんと話したいです"
    first = previews[0]
    assert "\n" not in first and first.startswith("I need a human. Our export keeps failing")
    assert len(first) == 200 and first.endswith("…")
    detail = client.get(f"/v1/escalations/{items[0]['id']}", headers=auth("agent")).json()
    assert detail["question"] == long_question and detail["preview"] == first
    claimed = client.post(f"/v1/escalations/{items[1]['id']}/claim", headers=auth("agent"))
    assert claimed.json()["preview"] == previews[1]


def test_me_tells_each_key_its_role_and_hides_the_public_keys_label(client: TestClient) -> None:
    for role in KEYS:
        response = client.get("/v1/me", headers=auth(role))
        assert response.status_code == 200, response.text
        me = response.json()
        assert me["role"] == role
        assert (me["label"] is None) == (role == "widget")
    assert client.get("/v1/me").status_code == 401
    refused = client.get("/v1/me", headers={"Authorization": "Bearer sk_not_a_key_0123456789"})
    assert refused.status_code == 401
    documented = client.get("/openapi.json").json()["paths"]["/v1/me"]["get"]
    assert "MeOut" in str(documented["responses"]["200"])


def test_a_refused_role_is_named_with_the_right_article(client: TestClient) -> None:
    signals = client.get("/v1/signals", headers=auth("agent")).json()["detail"]
    assert signals == "an agent key may not do this; it needs a csm key"
    queue = client.get("/v1/escalations", headers=auth("widget")).json()["detail"]
    assert queue == "a widget key may not do this; it needs an agent key"


def test_the_signals_csv_starts_with_a_byte_order_mark_for_excel(client: TestClient) -> None:
    ask(client, "20 more seats for the 東京 team", customer={"account_id": "acme"})
    raw = client.get("/v1/signals.csv", headers=auth("csm")).content
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with it
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert next(iter(rows[0])) == "id"
    assert rows[0]["evidence"] == "20 more seats for the 東京 team"


def test_the_demo_page_speaks_the_language_asked_for(client: TestClient) -> None:
    english = client.get("/").text
    japanese = client.get("/", params={"lang": "ja"}).text
    assert '<html lang="en">' in english and "Things to ask the chat" in english
    assert '<html lang="ja">' in japanese and "チャットで試せる質問" in japanese
    for page in (english, japanese):
        assert f'data-key="{KEYS["widget"]}"' in page
        assert 'href="/demo.css"' in page
    assert client.get("/", params={"lang": "xx"}).text == english
    css = client.get("/demo.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_api_page_serves_swagger_ui_from_this_server(client: TestClient) -> None:
    page = client.get("/docs").text
    soup = BeautifulSoup(page, "html.parser")
    assets = [tag.get("src") or tag.get("href") for tag in soup.find_all(["script", "link"])
              if tag.get("src") or tag.get("href")]
    assert assets and all(str(url).startswith("/") for url in assets), assets
    for url in assets:
        assert client.get(str(url)).status_code == 200, url
    assert '"validatorUrl": null' in page  # no badge fetched from a validator service
