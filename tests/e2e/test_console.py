"""Customers, support agents and CSMs together: escalations answered in the console reach
the customer's widget; upsell inquiries reach the CSM's signals feed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.conftest import Kotae, Pages, shot, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

AGENT_REPLY = ("Hi! I'm Aiko from Tsunagu support. I have booked a call with you for tomorrow "
               "at 10:00 to walk through SSO together.")


def sign_in(page: Page, key: str) -> None:
    """Sign in to the console with an API key (the key decides the role)."""
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def stored_conversation(page: Page) -> dict[str, Any]:
    """Return the conversation id and token the widget keeps in localStorage."""
    saved: dict[str, Any] = page.evaluate(
        "() => JSON.parse(Object.entries(localStorage)"
        ".find(([k]) => k.startsWith('kotae:'))[1])")
    return saved


def test_an_escalation_is_answered_in_the_console_and_the_reply_reaches_the_customer(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    customer = pages.open(kotae.url + "/")
    customer.get_by_role("button", name="Support chat").click()
    customer.get_by_role("button", name="Talk to a human").click()
    log = customer.get_by_role("log")
    expect(log.locator(".notice")).to_contain_text("Passed to our support team")
    expect(log.locator(".m.customer")).to_contain_text("talk to a person")
    shot(customer, "02-customer-escalation-notice")
    conversation_id = stored_conversation(customer)["id"]
    queue = kotae.api("GET", "/v1/escalations?reason=human_requested&status=open", "agent")
    escalation = next(e for e in queue["items"] if e["conversation_id"] == conversation_id)

    agent = pages.open(kotae.url + "/console/")
    sign_in(agent, kotae.keys["agent"])
    expect(agent.get_by_role("heading", name="Escalation queue")).to_be_visible()
    agent.get_by_label("Reason").select_option("human_requested")
    row_link = agent.locator(f'a[href="#/escalations/{escalation["id"]}"]')
    expect(row_link).to_be_visible()
    shot(agent, "03-agent-queue", full_page=True)
    row_link.click()
    expect(agent.get_by_role("heading", name="Human requested · Open")).to_be_visible()
    expect(agent.locator(".conversation")).to_contain_text("talk to a person")
    agent.get_by_role("button", name="Claim").click()
    expect(agent.get_by_role("heading", name="Human requested · Claimed")).to_be_visible()
    reply = agent.get_by_label("Reply to the customer")
    reply.fill(AGENT_REPLY)
    agent.get_by_label("Tag for this resolution").select_option("usage_question")
    shot(agent, "04-agent-edits-draft", full_page=True)
    agent.get_by_role("button", name="Send reply and resolve").click()
    # The reply reaches the customer now; it answers others only once approved (test_precedents).
    expect(agent.get_by_role("status")).to_contain_text("Resolved", timeout=60_000)
    expect(agent.get_by_role("heading", name="Human requested · Resolved")).to_be_visible()
    expect(agent.locator(".turn.agent")).to_contain_text("Aiko")
    shot(agent, "05-agent-resolved", full_page=True)

    # The customer's open widget polls the conversation: the reply appears without a reload.
    agent_turn = log.locator(".m.agent")
    expect(agent_turn).to_contain_text(AGENT_REPLY, timeout=15_000)
    expect(agent_turn.locator(".who")).to_contain_text("Support agent")
    shot(customer, "05-customer-sees-agent-reply")

    # The conversation survives a reload, re-rendered from the API.
    customer.reload()
    customer.get_by_role("dialog").wait_for()  # the panel was open, so it opens again
    expect(customer.get_by_role("log").locator(".m.agent")).to_contain_text(AGENT_REPLY)
    expect(customer.get_by_role("log").locator(".m.customer")).to_contain_text(
        "talk to a person")
    shot(customer, "05b-customer-after-reload")

    agent.get_by_role("button", name="Reopen").click()
    expect(agent.get_by_role("heading", name="Human requested · Open")).to_be_visible()


def test_a_csm_sees_the_expansion_signal_from_an_upsell_inquiry(
        kotae: Kotae, pages: Pages, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    upsell = "We want to add 30 seats for our sales team"
    customer = pages.open(kotae.url + "/")
    customer.get_by_role("button", name="Support chat").click()
    box = customer.locator("#kotae-input")
    box.fill(upsell)
    box.press("Enter")
    expect(customer.locator(".m.assistant .body a")).to_have_count(1)

    csm = pages.open(kotae.url + "/console/")
    sign_in(csm, kotae.keys["csm"])
    expect(csm.get_by_role("heading", name="Signals")).to_be_visible()
    expect(csm.get_by_role("link", name="Escalations")).to_have_count(0)  # not a CSM's job
    card = csm.locator(".signal", has_text=upsell).first
    expect(card).to_be_visible()
    expect(card.locator(".signal-account")).to_have_text("Bluefin Labs · acct_0001")
    expect(card.locator(".pill")).to_have_text("Expansion")
    expect(card.locator("blockquote")).to_have_text(f"“{upsell}”")
    shot(csm, "10-csm-signals", full_page=True)

    with csm.expect_download() as download:
        csm.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "signals.csv"
    download.value.save_as(saved)
    assert upsell in saved.read_text(encoding="utf-8")

    card.get_by_role("button", name="Acknowledge: acct_0001 Expansion").click()
    csm.get_by_label("Status").select_option("true")
    expect(csm.locator(".signal", has_text=upsell).first).to_contain_text("Acknowledged by")

    csm.get_by_role("link", name="Analytics").click()
    expect(csm.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(csm.locator("#chart-tags svg rect")).not_to_have_count(0)
    expect(csm.locator("#chart-tags svg")).to_have_attribute(
        "aria-label", re.compile("Success opportunity: [1-9]"))
    expect(csm.locator("#chart-days svg rect")).not_to_have_count(0)
    shot(csm, "11-csm-analytics", full_page=True)


def test_the_console_speaks_japanese(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/", locale="ja-JP")
    page.get_by_label("APIキー").fill(kotae.keys["admin"])
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("heading", name="エスカレーション一覧")).to_be_visible()
    expect(page.get_by_role("link", name="シグナル")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "ja"
    page.get_by_label("表示言語").select_option("en")
    expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
    page.get_by_label("Interface language").select_option("ja")
    page.get_by_role("link", name="分析").click()
    expect(page.get_by_role("heading", name="分析")).to_be_visible()
    expect(page.get_by_text("自己解決率")).to_be_visible()
    shot(page, "12-console-japanese", full_page=True)


def test_the_japanese_console_tells_a_csm_about_a_signal_in_japanese(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    upsell = "来月から営業部で使うので、20席追加したいです。"
    kotae.api("POST", "/v1/inquiries", "widget",
              json={"text": upsell, "customer": {"account_id": "acct_jp_e2e"}})
    page = pages.open(kotae.url + "/console/", locale="ja-JP")
    page.get_by_label("APIキー").fill(kotae.keys["csm"])
    page.get_by_role("button", name="サインイン").click()
    card = page.locator(".signal", has_text=upsell).first
    expect(card).to_be_visible()
    expect(card.locator("dd").nth(0)).to_have_text("席（ライセンス）の追加について問い合わせた")
    expect(card.locator("dd").nth(1)).to_contain_text("席追加の見積もり")
    shot(page, "13-console-japanese-signal", full_page=True)
    page.get_by_label("表示言語").select_option("en")
    card = page.locator(".signal", has_text=upsell).first
    expect(card.locator("dd").nth(0)).to_have_text("asked about adding seats")


def test_an_unknown_key_is_refused_at_sign_in(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/", expect_errors=True)  # the 401 is logged
    page.get_by_label("API key").fill("sk_not_a_real_key_000000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not known")
    page.get_by_label("API key").fill(kotae.keys["widget"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("the chat widget's key")
    assert wait_for(lambda: page.evaluate("sessionStorage.length") == 0, what="no session")


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_an_automatic_refresh_leaves_the_row_a_keyboard_user_is_on(
        kotae: Kotae, pages: Pages, locale: str) -> None:
    # The queue refreshes itself every 10 s. A refresh that was already on its way when the
    # user moved onto a row used to replace the table on arrival and drop their focus.
    from playwright.sync_api import Route, expect

    kotae.api("POST", "/v1/inquiries", "widget", json={"text": "Can I talk to a person?"})
    page = pages.open(kotae.url + "/console/", locale=locale)
    page.clock.install()  # the queue's refresh timer runs on the page's clock from here
    page.reload()
    ja = locale == "ja-JP"
    page.get_by_label("APIキー" if ja else "API key").fill(kotae.keys["agent"])
    page.get_by_role("button", name="サインイン" if ja else "Sign in").click()
    rows = page.locator("table.queue a")
    expect(rows.first).to_be_visible()

    held: list[Route] = []

    def hold(route: Route) -> None:  # keep the next list request waiting
        held.append(route)

    page.route("**/v1/escalations?*", hold)
    page.clock.fast_forward(11_000)  # the automatic refresh starts, nothing focused yet
    for _ in range(200):  # Playwright hands the route over while it is being called
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the automatic refresh sent no request"
    rows.first.focus()
    with page.expect_response("**/v1/escalations?*"):
        held[0].continue_()
    page.wait_for_timeout(300)  # let the page handle the answer
    assert page.evaluate("document.activeElement.closest('table.queue') !== null"), \
        "the refresh took the focused row away"
    page.keyboard.press("Enter")
    expect(page.get_by_label("お客様への返信" if ja else "Reply to the customer")).to_be_visible()


def test_before_signing_in_there_is_no_sign_out_and_no_role_to_choose(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    for locale, sign_out, key in (("en-US", "Sign out", "API key"),
                                  ("ja-JP", "サインアウト", "APIキー")):
        page = pages.open(kotae.url + "/console/", locale=locale)
        expect(page.get_by_label(key)).to_be_visible()
        expect(page.get_by_role("button", name=sign_out)).to_be_hidden()
        expect(page.locator("select#role")).to_have_count(0)  # the key says who you are
        expect(page.locator("#nav")).to_be_hidden()


def test_the_queue_previews_each_question_and_the_whole_row_opens_it(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    question = ("Can I talk to a person about our renewal? We have questions about the "
                "contract terms and the number of seats for next year.")
    asked = kotae.api("POST", "/v1/inquiries", "widget", json={"text": question})
    escalation_id = asked["escalation_id"]
    kotae.api("POST", "/v1/inquiries", "widget", json={"text": "担当者と話したいです。請求書の宛名を変えたい"})
    page = pages.open(kotae.url + "/console/")
    sign_in(page, kotae.keys["agent"])
    row = page.locator("table.queue tbody tr", has=page.locator(
        f'a[href="#/escalations/{escalation_id}"]'))
    link = row.get_by_role("link")
    expect(link).to_have_text(question)  # one line: cut by CSS with an ellipsis when long
    assert link.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"
    expect(page.get_by_role("link", name="担当者と話したいです。請求書の宛名を変えたい")).to_be_visible()
    shot(page, "23-queue-previews", full_page=True)
    # A click on the account cell, away from the link's text, as a mouse does it (the link's
    # overlay is what receives it, which Playwright's own click refuses to do on purpose).
    row.scroll_into_view_if_needed()  # the newest are last: below the fold after other tests
    cell = row.locator("td").nth(5).bounding_box()
    assert cell is not None
    page.mouse.click(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] / 2)
    expect(page).to_have_url(re.compile(f"#/escalations/{escalation_id}$"))
    expect(page.get_by_role("heading", name="Human requested · Open")).to_be_visible()


def test_an_escalation_shows_the_tag_its_decision_gave(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    bug = "The app crashes with error 500 every time I upload a PDF to a task"
    asked = kotae.api("POST", "/v1/inquiries", "widget", json={"text": bug})
    decision = asked["decision"]
    assert asked["status"] == "escalated" and decision["tag"] == "bug", decision
    page = pages.open(kotae.url + "/console/")
    sign_in(page, kotae.keys["agent"])
    page.get_by_label("Tag").fill("bug")
    page.get_by_label("Tag").press("Enter")
    row = page.locator("table.queue tbody tr", has_text=bug)
    expect(row.locator("td").nth(3)).to_have_text("Bug")
    row.get_by_role("link").click()
    confidence = int(decision["tag_confidence"] * 100 + 0.5)  # as Math.round does
    tag = page.locator(".facts > div", has=page.locator("dt", has_text="Tag")).locator("dd")
    expect(tag).to_have_text(f"Bug ({confidence}%)")


def test_acknowledging_a_signal_confirms_it(kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    upsell = "We want to add 25 seats for the new design team next month"
    asked = kotae.api("POST", "/v1/inquiries", "widget",
                      json={"text": upsell, "customer": {"account_id": "acct_0042"}})
    assert asked["status"] == "answered"
    for locale, ack, confirmed in (
            ("en-US", "Acknowledge: acct_0042 Expansion",
             "Acknowledged the Expansion signal for acct_0042"),
            ("ja-JP", "確認済みにする: acct_0042 拡大機会",
             "acct_0042 の拡大機会シグナルを確認済みにしました")):
        page = pages.open(kotae.url + "/console/", locale=locale)
        sign_in_label = "APIキー" if locale == "ja-JP" else "API key"
        page.get_by_label(sign_in_label).fill(kotae.keys["csm"])
        page.get_by_label(sign_in_label).press("Enter")
        if locale == "ja-JP":  # the English pass acknowledged it: raise another one
            kotae.api("POST", "/v1/inquiries", "widget",
                      json={"text": upsell + " (2)", "customer": {"account_id": "acct_0042"}})
            page.reload()
        page.get_by_role("button", name=ack).first.click()
        expect(page.get_by_role("status")).to_contain_text(confirmed)
        shot(page, f"24-signal-acknowledged-{locale[:2]}")


# (interface language, sign-in label and button, why a request for a person was escalated,
#  why an angry message was, the language column's word for Japanese, the reply's hint)
WHY = {
    "en": ("API key", "Sign in", "customer wrote '担当者と話'", "sentiment -", "Japanese",
           "Starts from Kotae's draft"),
    "ja": ("APIキー", "サインイン", "お客様の文面：'担当者と話'", "感情スコア -", "日本語",
           "Kotaeが用意した下書きから始まります"),
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_queue_says_why_in_the_interface_language(
        kotae: Kotae, pages: Pages, lang: str) -> None:
    from playwright.sync_api import expect

    key_label, button, human, angry, japanese, hint = WHY[lang]
    person = kotae.api("POST", "/v1/inquiries", "widget", json={"text": "担当者と話したい"})
    upset = kotae.api("POST", "/v1/inquiries", "widget", json={
        "text": "This is ridiculous. Your app lost my tasks AGAIN. Absolutely useless."})
    assert person["decision"]["escalation"]["reason"] == "human_requested"
    assert upset["decision"]["escalation"]["reason"] == "negative_sentiment"
    page = pages.open(kotae.url + "/console/", locale="ja-JP" if lang == "ja" else "en-US")
    page.get_by_label(key_label).fill(kotae.keys["agent"])
    page.get_by_role("button", name=button).click()
    person_row = page.locator("table.queue tbody tr", has=page.locator(
        f'a[href="#/escalations/{person["escalation_id"]}"]'))
    upset_row = page.locator("table.queue tbody tr", has=page.locator(
        f'a[href="#/escalations/{upset["escalation_id"]}"]'))
    # The Japanese console showed "customer wrote ..." and "sentiment -1.00" in English.
    expect(person_row.locator(".detail")).to_have_text(human)
    expect(upset_row.locator(".detail")).to_contain_text(angry)
    expect(person_row.locator("td").nth(4)).to_have_text(japanese)  # not "ja"
    person_row.get_by_role("link").click()
    reason = page.locator(".facts > div").nth(1).locator("dd")
    expect(reason).to_contain_text(human)
    expect(page.locator("#reply-hint")).to_contain_text(hint)
    shot(page, f"25-escalation-why-{lang}")


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_on_a_phone_each_queue_row_shows_its_reason_and_status(
        kotae: Kotae, pages: Pages, locale: str) -> None:
    from playwright.sync_api import expect

    kotae.api("POST", "/v1/inquiries", "widget", json={"text": "Can I talk to a person?"})
    page = pages.open(kotae.url + "/console/", locale=locale, width=375, height=800)
    label, button = ("APIキー", "サインイン") if locale == "ja-JP" else ("API key", "Sign in")
    page.get_by_label(label).fill(kotae.keys["agent"])
    page.get_by_role("button", name=button).click()
    row = page.locator("table.queue tbody tr").first
    expect(row).to_be_visible()
    # Eight columns in 375 px: the reason and status were off to the right and each row a
    # tall strip of wrapped words. As a card, everything is in view without scrolling sideways.
    for pill in (row.locator(".pill").first, row.locator(".pill").last):
        box = pill.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    wrap = page.locator(".table-wrap").evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert wrap[0] <= wrap[1] + 1, wrap
    height = row.bounding_box()
    assert height is not None and height["height"] < 160, height
    shot(page, f"26-queue-on-a-phone-{locale[:2]}")


@pytest.mark.parametrize(("locale", "label", "button", "analytics", "ratings", "tokens"), [
    ("en-US", "API key", "Sign in", "Analytics", re.compile(r"^\d+ ratings$"),
     re.compile(r"^\d+ tokens$")),
    ("ja-JP", "APIキー", "サインイン", "分析", re.compile(r"^評価 \d+件$"),
     re.compile(r"^\d+トークン$")),
])
def test_the_analytics_figures_say_what_they_count_in_one_line(
        kotae: Kotae, pages: Pages, locale: str, label: str, button: str, analytics: str,
        ratings: re.Pattern[str], tokens: re.Pattern[str]) -> None:
    from playwright.sync_api import expect

    kotae.api("POST", "/v1/inquiries", "widget", json={"text": "How do I set up SAML SSO with Okta?"})
    page = pages.open(kotae.url + "/console/", locale=locale)
    page.get_by_label(label).fill(kotae.keys["csm"])
    page.get_by_role("button", name=button).click()
    page.get_by_role("link", name=analytics, exact=True).click()
    kpis = page.locator(".kpi")
    expect(kpis).to_have_count(5)
    expect(kpis.nth(2).locator(".kpi-sub")).to_have_text(ratings)  # was a bare number
    expect(kpis.nth(4).locator(".kpi-sub")).to_have_text(tokens)  # "tokens" in Japanese too
    latency = kpis.nth(3).locator(".kpi-value")
    expect(latency).to_have_text(re.compile(r"^\d+ / \d+ ms$"))
    size = latency.evaluate("v => [v.getBoundingClientRect().height, "
                            "parseFloat(getComputedStyle(v).fontSize)]")
    assert size[0] < 2 * size[1], f"the latency figure wraps: {size}"


@pytest.mark.parametrize(("locale", "label", "button", "upsell", "account", "name"), [
    ("en-US", "API key", "Sign in", "We want to add 25 seats for the new design team next month",
     "acct_0030", "Vantage Retail Group"),
    ("ja-JP", "APIキー", "サインイン", "来月から営業部で使うので、20席追加したいです。",
     "acct_0031", "株式会社ミライ教育"),
])
def test_a_signal_names_its_account_and_links_to_it(
        kotae: Kotae, pages: Pages, locale: str, label: str, button: str, upsell: str,
        account: str, name: str) -> None:
    from playwright.sync_api import expect

    kotae.api("POST", "/v1/inquiries", "widget",
              json={"text": upsell, "customer": {"account_id": account}})
    page = pages.open(kotae.url + "/console/", locale=locale)
    page.get_by_label(label).fill(kotae.keys["csm"])
    page.get_by_role("button", name=button).click()
    card = page.locator(".signal", has_text=upsell).filter(
        has=page.locator(f'a[href="#/accounts/{account}"]')).first
    link = card.locator(".signal-account")
    # It said only the id; a CSM knows the customer by name.
    expect(link).to_have_text(f"{name} · {account}")
    link.click()
    expect(page).to_have_url(re.compile(f"#/accounts/{account}$"))
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()


def test_the_queue_shows_a_customer_asked_for_a_person_after_another_escalation(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    asked = {}
    for text in ("We were charged twice for October, please fix this",
                 "今月、二重に請求されています"):
        first = kotae.api("POST", "/v1/inquiries", "widget", json={"text": text})
        assert first["decision"]["escalation"]["reason"] == "sensitive_topic", first["decision"]
        pressed = httpx.post(
            f"{kotae.url}/v1/conversations/{first['conversation_id']}/human", json={},
            timeout=30, headers={"Authorization": f"Bearer {kotae.keys['widget']}",
                                 "X-Conversation-Token": first["conversation_token"]})
        assert pressed.status_code == 200 and pressed.json()["escalation_id"] == first[
            "escalation_id"]
        asked[text] = first["escalation_id"]
    for locale, key_label, sign_in_label, wanted in (
            ("en-US", "API key", "Sign in", ("Sensitive topic", "Human requested")),
            ("ja-JP", "APIキー", "サインイン", ("慎重な対応が必要", "担当者を希望"))):
        page = pages.open(kotae.url + "/console/", locale=locale)
        page.get_by_label(key_label).fill(kotae.keys["agent"])
        page.get_by_role("button", name=sign_in_label).click()
        for escalation_id in asked.values():
            row = page.locator("table.queue tbody tr", has=page.locator(
                f'a[href="#/escalations/{escalation_id}"]'))
            expect(row.locator("td").nth(2).locator(".pill")).to_have_text(list(wanted))
