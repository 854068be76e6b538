"""Reviewing a resolution before it answers other customers, in the console: the reply is shown
cleaned, an agent edits and approves it (or rejects it), and only then does the widget answer
the next customer with it. English and Japanese."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Kotae, Pages, shot
from tests.e2e.test_console import sign_in

pytestmark = pytest.mark.e2e

QUESTION = "Can Tsunagu print a wall poster of our Kanban board in A0 size?"
REPLY = ("Hi Ken,\n\nThanks for reaching out! Use Board view > Export > PDF and choose A0 as the "
         "page size. I also noted ken@bluefin.example on your account. (edited by Alex)\n\n"
         "Best regards,\nAlex Chen\nTsunagu Support")
EDITED = ("Use Board view > Export > PDF, choose A0 as the page size, and send the file to "
          "any print shop.")


def test_an_agent_approves_an_edited_precedent_and_the_next_customer_gets_it(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    asked = kotae.api("POST", "/v1/inquiries", "widget", json={"text": QUESTION})
    assert asked["status"] == "escalated", asked["decision"]
    agent = pages.open(kotae.url + "/console/")
    sign_in(agent, kotae.keys["agent"])
    agent.goto(f"{kotae.url}/console/#/escalations/{asked['escalation_id']}")
    agent.get_by_label("Reply to the customer").fill(REPLY)
    agent.get_by_role("button", name="Send reply and resolve").click()
    expect(agent.get_by_role("status")).to_contain_text("once approved under Precedents")

    agent.get_by_role("link", name="Precedents").click()
    expect(agent.get_by_role("heading", name="Replies to reuse")).to_be_visible()
    card = agent.locator(".precedent", has_text=QUESTION)
    expect(card).to_have_count(1)
    proposed = card.get_by_label("Answer for other customers (edit before approving)")
    expect(proposed).to_have_value(
        "Use Board view > Export > PDF and choose A0 as the page size. I also noted [EMAIL] "
        "on your account.")
    shot(agent, "30-precedent-pending", full_page=True)
    proposed.fill(EDITED)
    card.get_by_role("button", name="Approve").click()
    expect(agent.get_by_role("status")).to_contain_text("Approved")
    expect(agent.locator(".precedent", has_text=QUESTION)).to_have_count(0)  # not pending now
    agent.get_by_label("Status").select_option("approved")
    approved = agent.locator(".precedent", has_text=QUESTION)
    expect(approved).to_contain_text("Approved by")
    expect(approved.get_by_role("textbox")).to_have_value(EDITED)

    customer = pages.open(kotae.url + "/")
    customer.get_by_role("button", name="Support chat").click()
    box = customer.locator("#kotae-input")
    box.fill(QUESTION)
    box.press("Enter")
    answer = customer.locator(".m.assistant .body").last
    expect(answer).to_contain_text("send the file to any print shop")
    expect(answer).not_to_contain_text("Ken")
    shot(customer, "31-customer-gets-approved-precedent")


def test_an_agent_rejects_a_precedent_in_the_japanese_console(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    question = "つなぐのガントチャートをA1サイズで印刷して壁に貼れますか？"
    asked = kotae.api("POST", "/v1/inquiries", "widget", json={"text": question})
    assert asked["status"] == "escalated", asked["decision"]
    kotae.api("POST", f"/v1/escalations/{asked['escalation_id']}/resolve", "agent", json={
        "answer": "山田様\n\nお世話になっております。\nタイムライン表示から PDF に書き出し、A1 を"
                  "選んでください。\n\nよろしくお願いいたします。\nつなぐサポート 佐藤"})
    page = pages.open(kotae.url + "/console/", locale="ja-JP")
    page.get_by_label("APIキー").fill(kotae.keys["agent"])
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("link", name="回答の再利用").click()
    expect(page.get_by_role("heading", name="再利用する回答")).to_be_visible()
    card = page.locator(".precedent", has_text=question)
    expect(card.get_by_label("他のお客様への回答（承認前に編集できます）")).to_have_value(
        "タイムライン表示から PDF に書き出し、A1 を選んでください。")
    shot(page, "32-precedent-japanese", full_page=True)
    card.get_by_role("button", name="却下する").click()
    expect(page.get_by_role("status")).to_contain_text("却下しました")
    expect(page.locator(".precedent", has_text=question)).to_have_count(0)
    again = kotae.api("POST", "/v1/inquiries", "widget", json={"text": question})
    assert again["status"] == "escalated"  # a rejected reply answers no one
