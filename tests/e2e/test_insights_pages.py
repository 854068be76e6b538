"""The Insights and Accounts pages in Chromium, in English and Japanese: a CSM sees which
account struggles and which is ready to grow, with every part of the score shown and the
customer's personal data masked; agents see how each article performs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import Kotae, Pages, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

STRUGGLING = "acct_0005"  # Harbor & Pine Legal in data/demo/accounts.json
GROWING = "acct_0002"  # 株式会社ミナト物流


@pytest.fixture(scope="module")
def traffic(kotae: Kotae) -> None:
    """A struggling English account and a growing Japanese one, through the real agent."""
    def ask(text: str, account: str) -> None:
        kotae.api("POST", "/v1/inquiries", "widget",
                  json={"text": text, "customer": {"account_id": account, "id": "u-" + account}})

    for text in ("This is the third time the export has failed and I am furious. We will cancel "
                 "our contract if this is not fixed. Call me at harbor.it@harborpine.example",
                 "We want to cancel our subscription at the end of the month.",
                 "Nothing works, this is unacceptable, we are cancelling"):
        ask(text, STRUGGLING)
    for text in ("来月から営業部で使うので、20席追加したいです。",
                 "新しいチームでも使いたいので、上位プランの見積もりをください。"):
        ask(text, GROWING)
    ask("How do I invite people to my workspace?", STRUGGLING)
    ask("メンバーを招待するにはどうすればいいですか？", GROWING)


def sign_in(page: Page, key: str, label: str = "API key", button: str = "Sign in") -> None:
    page.get_by_label(label).fill(key)
    page.get_by_role("button", name=button).click()


def test_a_csm_sees_account_health_part_by_part(
        kotae: Kotae, pages: Pages, traffic: None) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/")
    sign_in(page, kotae.keys["csm"])
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Account health")).to_be_visible()
    struggling = page.locator("tbody tr", has_text="Harbor & Pine Legal")
    expect(struggling.locator(".pill")).to_have_text(re.compile("At risk|Watch"))
    expect(struggling).to_contain_text("Churn signals")
    expect(page.locator("#chart-bands svg")).to_be_visible()
    shot(page, "insights-accounts", full_page=True)
    page.get_by_label("Sort by").select_option("expansion")
    expect(page.locator("tbody tr").first).to_contain_text("株式会社ミナト物流")
    page.get_by_label("Sort by").select_option("risk")
    # The table is drawn again for the new order; click once it is, not while it is replaced.
    expect(page.locator("tbody tr").first).to_contain_text("Harbor & Pine Legal")
    struggling.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Harbor & Pine Legal · (At risk|Watch)"))
           ).to_be_visible()
    expect(page.get_by_role("heading", name="How the score is built")).to_be_visible()
    parts = page.locator(".parts-table").first
    expect(parts.locator("tr", has_text="Churn signals")).to_contain_text("−20")
    expect(page.locator("#account-body")).to_contain_text("third time the export has failed")
    assert "harborpine.example" not in page.locator("main").inner_text()
    shot(page, "insights-account", full_page=True)


def test_the_accounts_page_speaks_japanese(kotae: Kotae, pages: Pages, traffic: None) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/", locale="ja-JP")
    sign_in(page, kotae.keys["csm"], "APIキー", "サインイン")
    page.get_by_role("link", name="アカウント").click()
    expect(page.get_by_role("heading", name="アカウントの健全性")).to_be_visible()
    growing = page.locator("tbody tr", has_text="株式会社ミナト物流")
    expect(growing.locator(".pill")).to_have_text(["良好"])
    growing.get_by_role("link").click()
    expect(page.get_by_role("heading", name="スコアの内訳")).to_be_visible()
    expect(page.get_by_role("heading", name="拡大の可能性")).to_be_visible()
    expect(page.locator(".parts-table").nth(1)).to_contain_text("拡大機会のシグナル")
    expect(page.locator("#account-body")).to_contain_text("20席追加したいです")
    shot(page, "insights-account-ja", full_page=True)


def test_agents_see_content_performance_and_every_other_section_says_what_it_has(
        kotae: Kotae, pages: Pages, traffic: None) -> None:
    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/")
    sign_in(page, kotae.keys["admin"])
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Content performance")).to_be_visible()
    table = page.locator(".content-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.locator("#chart-cited svg")).to_be_visible()
    for section in ("#insights-topics", "#insights-bugs", "#insights-gaps"):
        # Shown when the server offers it, otherwise a plain empty state (never an error).
        expect(page.locator(section + " [aria-busy]")).to_have_count(0)
        expect(page.locator(section)).not_to_be_empty()
    shot(page, "insights-content", full_page=True)
    csm = pages.open(kotae.url + "/console/", locale="ja-JP")
    sign_in(csm, kotae.keys["csm"], "APIキー", "サインイン")
    csm.get_by_role("link", name="インサイト").click()
    expect(csm.get_by_role("heading", name="コンテンツの効果")).to_be_visible()
    expect(csm.locator("#insights-content")).to_contain_text("この項目はあなたの権限では表示されません。")



TOPICS = {"items": [
    {"name": "sso · okta · saml · loop", "volume": 29,
     "representative": "SSO login loop\n\nHi support,\n\nSince this morning about a third of our "
                       "people get stuck in a loop.\n\nThis is blocking a lot of people.\n\n"
                       "Ryan O'Connell\nIT Manager, Stratus Cloud Consulting\n[EMAIL] | [PHONE]"},
    {"name": "請求書 · 払い · 経理 · 発行", "volume": 25,
     "representative": "請求書の発行日と支払期限\n\nお世話になっております。\n\n請求書払いに切り替えた"
                       "いのですが、発行日と支払期限を教えてください。\n\nよろしくお願いいたします。\n\n野口"},
]}


@pytest.mark.parametrize(("locale", "label", "button", "insights"), [
    ("en-US", "API key", "Sign in", "Insights"), ("ja-JP", "APIキー", "サインイン", "インサイト")])
def test_the_topics_chart_looks_like_the_other_charts_and_quotes_are_short(
        kotae: Kotae, pages: Pages, locale: str, label: str, button: str, insights: str) -> None:
    import json

    from playwright.sync_api import expect

    page = pages.open(kotae.url + "/console/", locale=locale)
    page.route("**/v1/insights/topics*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(TOPICS)))
    sign_in(page, kotae.keys["csm"], label, button)
    page.get_by_role("link", name=insights).click()
    topics = page.locator("#insights-topics")
    bar = topics.locator("svg rect.bar").first
    expect(bar).to_be_visible()
    # Drawn outside a .chart, the bars were black and the names 16 px, over their column.
    assert bar.evaluate("r => getComputedStyle(r).fill") == "rgb(11, 92, 173)"
    assert topics.locator("svg text.bar-label").first.evaluate(
        "t => getComputedStyle(t).fontSize") == "12px"
    quote = topics.locator(".quote").first
    expect(quote).to_contain_text("SSO login loop")
    size = quote.evaluate("q => [q.getBoundingClientRect().height, "
                          "parseFloat(getComputedStyle(q).lineHeight) || 20]")
    assert size[0] <= 3.5 * size[1], f"a whole e-mail under a topic: {size}"
    shot(page, f"insights-topics-{locale[:2]}")
