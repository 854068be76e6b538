"""The chat widget on the demo page, as a customer uses it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import Kotae, Pages, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.e2e

SAML_QUESTION = "How do I set up SAML SSO with Okta?"
SAML_ARTICLE = "https://help.tsunagu.example/articles/saml-sso-okta"


def open_chat(page: Page, name: str = "Support chat") -> None:
    """Open the widget's panel with its bubble."""
    page.get_by_role("button", name=name).click()
    page.get_by_role("dialog").wait_for()


def ask(page: Page, text: str) -> None:
    """Type text into the widget and press Enter."""
    box = page.locator("#kotae-input")
    box.fill(text)
    box.press("Enter")


def test_a_customer_gets_a_streamed_answer_with_cited_links_and_rates_it(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/")
    open_chat(page)
    expect(page.locator("#kotae-input")).to_be_focused()
    with page.expect_response("**/v1/inquiries") as response:
        ask(page, SAML_QUESTION)
    assert response.value.headers["content-type"].startswith("text/event-stream")
    log = page.get_by_role("log")
    expect(log.get_by_text(SAML_QUESTION)).to_be_visible()
    source = log.locator(f'.m.assistant .body a[href="{SAML_ARTICLE}"]')
    expect(source).to_be_visible()
    expect(source).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(source).to_have_attribute("target", "_blank")
    expect(log.locator(f'a[href="{SAML_ARTICLE}"]')).to_have_count(1)  # cited once
    expect(log.locator(".src")).to_have_count(0)
    expect(page.locator("#kotae-input")).to_have_value("")
    shot(page, "01-customer-cited-answer")

    page.get_by_role("button", name="Yes, this helped").click()
    expect(log.get_by_text("Thanks for your feedback.")).to_be_visible()
    assert kotae.api("GET", "/v1/analytics/summary", "csm")["feedback"] >= 1


def test_shift_enter_writes_a_new_line_and_escape_closes_the_panel(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/")
    open_chat(page)
    box = page.locator("#kotae-input")
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    bubble = page.get_by_role("button", name="Support chat")
    expect(bubble).to_be_focused()
    expect(bubble).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (429, {"Retry-After": "7"}, "Please wait 7 seconds"),
    (503, {}, "unavailable right now (error 503)"),
    (500, {}, "unavailable right now (error 500)"),
])
def test_server_errors_are_shown_plainly_and_the_message_is_kept(
        kotae: Kotae, pages: Pages, status: int, headers: dict[str, str],
        expected: str) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/", expect_errors=True)  # the browser logs failed requests

    def refuse(route: Route) -> None:
        route.fulfill(status=status, headers={**headers, "Content-Type": "application/json"},
                      body='{"error_code": "x", "detail": "refused by the test"}')

    page.route("**/v1/inquiries", refuse)
    open_chat(page)
    ask(page, "Where do I find my invoices?")
    expect(page.get_by_role("alert")).to_contain_text(expected)
    expect(page.locator("#kotae-input")).to_have_value("Where do I find my invoices?")
    expect(page.get_by_role("log").locator(".m.customer")).to_have_count(0)
    if status == 429:
        shot(page, "07-widget-rate-limited")

    page.unroute("**/v1/inquiries")  # the service is back: sending again works
    page.locator("#kotae-input").press("Enter")
    expect(page.get_by_role("log").locator(".m.customer")).to_have_count(1)
    expect(page.get_by_role("alert")).to_be_hidden()  # empty, so not shown
    expect(page.locator("#kotae-input")).to_have_value("")


def test_offline_and_unreachable_are_shown_plainly_and_the_message_is_kept(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/", expect_errors=True)
    open_chat(page)
    page.route("**/v1/inquiries", lambda route: route.abort("connectionrefused"))
    ask(page, "Can guests see private projects?")
    expect(page.get_by_role("alert")).to_contain_text("could not reach support")
    expect(page.locator("#kotae-input")).to_have_value("Can guests see private projects?")

    page.context.set_offline(True)
    page.locator("#kotae-input").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("You appear to be offline")
    expect(page.locator("#kotae-input")).to_have_value("Can guests see private projects?")
    shot(page, "08-widget-offline")


def test_the_japanese_ui_answers_a_japanese_question_in_japanese(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/?lang=ja", locale="ja-JP")
    assert page.evaluate("document.documentElement.lang") == "ja"
    open_chat(page, name="サポートチャット")
    expect(page.get_by_label("メッセージ")).to_be_focused()
    expect(page.get_by_role("button", name="送信")).to_be_visible()
    expect(page.get_by_role("button", name="担当者と話す")).to_be_visible()
    expect(page.get_by_role("heading", name="Tsunagu サポート")).to_be_visible()
    ask(page, "請求書払いに切り替えたいのですが、申し込み方法を教えてください。")
    log = page.get_by_role("log")
    answer = log.locator(".m.assistant").last
    expect(answer).to_contain_text("ヘルプセンター")
    expect(answer.locator(".body a").first).to_have_attribute("href", re.compile("^https://"))
    expect(log.locator(".src")).to_have_count(0)  # the article is linked in the answer
    expect(log.get_by_text("この回答は役に立ちましたか？")).to_be_visible()
    assert re.search(r"[\u3040-\u30ff]", answer.inner_text())
    shot(page, "06-japanese-ui")


def test_a_japanese_question_only_an_english_article_answers_says_so_and_links_it(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/?lang=ja", locale="ja-JP")
    open_chat(page, name="サポートチャット")
    ask(page, "毎週月曜と木曜に繰り返すタスクを作りたいです")
    log = page.get_by_role("log")
    answer = log.locator(".m.assistant").last
    expect(answer).to_contain_text("英語の記事「Recurring tasks」")
    expect(answer).to_contain_text("原文のまま引用します")
    source = answer.locator(
        '.body a[href="https://help.tsunagu.example/articles/recurring-tasks"]')
    expect(source).to_be_visible()
    expect(source).to_have_text("Recurring tasks")
    expect(log.locator(".src")).to_have_count(0)  # cited once, in the answer
    expect(log.get_by_text("この回答は役に立ちましたか？")).to_be_visible()
    answer.evaluate("node => node.scrollIntoView({block: 'start'})")  # the notice in view
    shot(page, "16-japanese-question-english-article")


def test_the_widget_is_readable_on_a_phone(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/", width=375, height=740)
    open_chat(page)
    panel = page.get_by_role("dialog").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 375
    assert panel["width"] >= 340
    box = page.locator("#kotae-input")
    assert box.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16
    ask(page, SAML_QUESTION)
    expect(page.locator(f'.m.assistant .body a[href="{SAML_ARTICLE}"]')).to_be_visible()
    overflow = page.get_by_role("log").evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, "the conversation scrolls sideways at 375px"
    shot(page, "09-widget-375px")

    page.get_by_role("button", name="Start a new conversation").click()
    expect(page.get_by_role("log").locator(".m")).to_have_count(1)  # the greeting only
    assert page.evaluate("Object.values(localStorage)") == ["{}"]


def test_talk_to_a_human_after_an_answer_hands_the_same_conversation_over(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/")
    open_chat(page)
    ask(page, SAML_QUESTION)
    log = page.get_by_role("log")
    expect(log.locator(".m.assistant .body a")).to_have_count(1)
    with page.expect_response("**/human") as response:
        page.get_by_role("button", name="Talk to a human").click()
    assert response.value.status == 201
    expect(log.locator(".notice")).to_contain_text("Passed to our support team")
    notice = log.locator(".notice").inner_text()
    with page.expect_response("**/v1/conversations/*") as polled:  # the next poll...
        pass
    assert polled.value.ok
    expect(log.locator(".notice")).to_have_count(1)  # ...does not show the notice twice
    expect(log.locator(".m.assistant")).to_have_count(1)
    assert "person will reply" in notice
