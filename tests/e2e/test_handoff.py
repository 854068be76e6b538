"""Hand-over control as a customer sees it in the widget (English and Japanese), and the
resolution metrics as a CSM sees them in the console, in Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Kotae, Pages, shot
from tests.e2e.test_console import sign_in, stored_conversation
from tests.e2e.test_widget import ask, open_chat

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("locale", "bubble", "human", "question", "held"), [
    ("en-US", "Support chat", "Talk to a human", "How do I set up SAML SSO with Okta?",
     "A person from our team is handling this conversation"),
    ("ja-JP", "サポートチャット", "担当者と話す", "OktaでSAML SSOを設定するには？",
     "この会話は担当者が対応しております"),
])
def test_once_a_person_claimed_the_conversation_the_bot_does_not_answer(
        kotae: Kotae, pages: Pages, locale: str, bubble: str, human: str, question: str,
        held: str) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + ("/?lang=ja" if locale == "ja-JP" else "/"), locale=locale)
    open_chat(page, bubble)
    page.get_by_role("button", name=human).click()
    log = page.get_by_role("log")
    expect(log.locator(".notice")).to_have_count(1)
    conversation_id = stored_conversation(page)["id"]
    queue = kotae.api("GET", "/v1/escalations?status=open", "agent")
    escalation = next(e for e in queue["items"] if e["conversation_id"] == conversation_id)
    kotae.api("POST", f"/v1/escalations/{escalation['id']}/claim", "agent",
              json={"assignee": "aiko"})
    ask(page, question)
    expect(log.locator(".notice").last).to_contain_text(held)
    expect(log.locator(".m.assistant")).to_have_count(0)  # no bot answer over the person
    shot(page, f"handoff-held-{locale}")


def test_the_console_shows_resolution_by_channel(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    csm = pages.open(kotae.url + "/console/")
    sign_in(csm, kotae.keys["csm"])
    csm.get_by_role("link", name="Analytics").click()
    table = csm.locator("#resolution table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text("Resolution by channel")
    expect(table.locator("tbody th").first).to_have_text("Widget")
    expect(table.locator("thead th")).to_have_text(
        ["Channel", "Conversations", "Contained", "Confirmed", "Durable (7 days)",
         "Handed off", "Reopened"])
    shot(csm, "handoff-resolution-table", full_page=True)


def test_the_talk_to_a_human_button_can_wait_for_the_first_answer(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import Route, expect

    page = pages.open(kotae.url + "/")

    def with_setting(route: Route) -> None:
        # The demo page as a site would embed it with data-human="after-answer".
        html = route.fetch().text().replace('data-key="', 'data-human="after-answer" data-key="')
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route(kotae.url + "/", with_setting)
    page.reload()
    open_chat(page)
    human = page.get_by_role("button", name="Talk to a human")
    expect(human).to_be_hidden()  # not offered up front
    ask(page, "How do I set up SAML SSO with Okta?")
    expect(page.get_by_role("log").locator(".m.assistant")).to_have_count(1)
    expect(human).to_be_visible()  # offered once Kotae has answered


@pytest.mark.parametrize(("locale", "bubble", "human", "new_chat", "request_text"), [
    ("en-US", "Support chat", "Talk to a human", "Start a new conversation", None),
    ("ja-JP", "サポートチャット", "担当者と話す", "新しい会話を始める", "担当者と話したいです"),
])
def test_talk_to_a_human_is_not_offered_again_while_a_person_is_on_the_way(
        kotae: Kotae, pages: Pages, locale: str, bubble: str, human: str, new_chat: str,
        request_text: str | None) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + ("/?lang=ja" if locale == "ja-JP" else "/"), locale=locale)
    open_chat(page, bubble)
    button = page.get_by_role("button", name=human)
    if request_text:  # asked for in words
        ask(page, request_text)
    else:
        button.click()
    log = page.get_by_role("log")
    expect(log.locator(".notice")).to_have_count(1)
    # Pressed again it only repeated the hand-over notice: it is gone until the conversation
    # is no longer waiting for a person, also after a reload.
    expect(button).to_be_hidden()
    focused = page.evaluate("document.querySelector('#kotae-widget').shadowRoot.activeElement?.id")
    assert focused == "kotae-input", focused  # not lost on the button that went away
    notice = log.locator(".notice").inner_text()
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()  # reopened as it was
    expect(log.locator(".m.customer")).to_have_count(1)  # the conversation, fetched again
    # ...with the hand-over shown as the notice it was, not as an answer
    expect(log.locator(".notice")).to_have_count(1)
    expect(log.locator(".m.assistant")).to_have_count(0)
    assert log.locator(".notice").inner_text() == notice
    expect(button).to_be_hidden()
    page.get_by_role("button", name=new_chat).click()
    expect(button).to_be_visible()
