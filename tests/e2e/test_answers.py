"""What a customer sees of an answer, in both UI languages: lists, tables and links rendered
(never `**` or `|---|`), the source cited once, a long answer shown from its first line, the
feedback icons, and a request for a person typed in Japanese reaching one."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Kotae, Pages, shot, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Route

pytestmark = pytest.mark.e2e

UI = {"en": ("/", "en-US", "Support chat"), "ja": ("/?lang=ja", "ja-JP", "サポートチャット")}
ARTICLE = "https://help.tsunagu.example/articles/"

# (UI language, question, what the answer must hold, the article it cites)
RENDERED = [
    ("en", "How do I set up SAML SSO with Okta?", "ol > li", "saml-sso-okta"),
    ("en", "Can we pay by bank transfer instead of card?", "table td", "invoices-and-payment-methods"),
    ("ja", "データのエクスポート方法を教えてください", "ol > li", "ja-export-data"),
    ("ja", "適格請求書発行事業者の登録番号を教えてください", "table td", "ja-qualified-invoice"),
]


def open_widget(pages: Pages, kotae: Kotae, language: str, *, width: int = 1280,
                height: int = 860) -> Page:
    """Open the demo page in a UI language and open the chat panel."""
    path, locale, bubble = UI[language]
    page = pages.open(kotae.url + path, locale=locale, width=width, height=height)
    page.get_by_role("button", name=bubble).click()
    page.get_by_role("dialog").wait_for()
    return page


def ask(page: Page, text: str) -> Locator:
    """Send text from the widget; return the answer it gets, once rendered."""
    from playwright.sync_api import expect

    log = page.get_by_role("log")
    before = log.locator(".m.assistant, .m.notice").count()
    box = page.locator("#kotae-input")
    box.fill(text)
    box.press("Enter")
    # Finished: an answer offers feedback, a hand-over is a notice (a streaming reply neither).
    answer = log.locator(".m.assistant:has(.fb), .m.notice").nth(before)
    expect(answer).to_be_visible()
    return answer


@pytest.mark.parametrize(("language", "question", "holds", "article"), RENDERED,
                         ids=[f"{c[0]}-{c[2].split()[0]}" for c in RENDERED])
def test_an_answer_shows_lists_and_tables_as_such_and_cites_its_source_once(
        kotae: Kotae, pages: Pages, language: str, question: str, holds: str,
        article: str) -> None:
    from playwright.sync_api import expect

    page = open_widget(pages, kotae, language)
    answer = ask(page, question)
    expect(answer.locator(holds).first).to_be_visible()
    if holds == "ol > li":
        assert answer.locator("ol > li").count() >= 3
    text = answer.inner_text()
    for mark in ("**", "|---|", "](", "<strong>"):
        assert mark not in text, (mark, text)
    assert not re.search(r"^\s*\|", text, re.MULTILINE), f"a table shown as text:\n{text}"
    assert answer.locator("strong").count() >= 1  # bold is bold
    links = page.get_by_role("log").locator(f'a[href="{ARTICLE}{article}"]')
    expect(links).to_have_count(1)  # the article is named once, in the answer's first sentence
    expect(answer.locator(".src")).to_have_count(0)
    expect(answer.locator("p").first.locator(f'a[href="{ARTICLE}{article}"]')).to_be_visible()
    kind = "list" if holds.startswith("ol") else "table"
    shot(page, f"20-answer-{kind}-{language}")


def answer_from_server(route: Route, answer: str, html: str, citations: list[dict[str, Any]],
                       ) -> None:
    """Answer the widget's inquiry with a given decision, as the API would."""
    body = {
        "inquiry_id": "inq_test", "conversation_id": "conv_test", "conversation_token": "tok",
        "status": "answered", "answer_html": html,
        "decision": {"action": "answer", "answer": answer, "citations": citations,
                     "tag": "usage_question", "language": "en"},
    }
    route.fulfill(status=201, content_type="application/json", body=json.dumps(body))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_only_sources_the_answer_does_not_link_are_listed_below_it(
        kotae: Kotae, pages: Pages, language: str) -> None:
    from playwright.sync_api import expect

    linked = {"id": "kb-a", "title": "Linked article", "url": "https://help.example/a",
              "source": "kb", "score": 0.9}
    other = {"id": "kb-b", "title": "Other article", "url": "https://help.example/b",
             "source": "kb", "score": 0.8}
    unsafe = {"id": "kb-c", "title": "Unsafe", "url": "javascript:alert(1)", "source": "kb",
              "score": 0.7}
    html = '<p>See <a href="https://help.example/a" target="_blank">Linked article</a>.</p>'
    page = open_widget(pages, kotae, language)
    page.route("**/v1/inquiries", lambda route: answer_from_server(
        route, "See [Linked article](https://help.example/a).", html, [linked, other, unsafe]))
    page.route("**/v1/conversations/*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"id": "conv_test", "messages": []})))
    answer = ask(page, "Which article?")
    sources = answer.locator(".src a")
    expect(sources).to_have_count(1)
    expect(sources).to_have_attribute("href", "https://help.example/b")
    expect(answer.locator(".src")).to_contain_text("Sources" if language == "en" else "参考情報")
    expect(answer.locator('a[href="https://help.example/a"]')).to_have_count(1)


@pytest.mark.parametrize(("language", "question"), [
    ("en", "How do I set up SAML SSO with Okta?"),
    ("ja", "2段階認証を設定する手順を教えてください"),
])
def test_a_new_long_answer_is_shown_from_its_first_line(
        kotae: Kotae, pages: Pages, language: str, question: str) -> None:
    page = open_widget(pages, kotae, language, width=1000, height=560)
    answer = ask(page, question)
    log = page.get_by_role("log")

    def placed() -> dict[str, float] | None:
        box: dict[str, float] = log.evaluate("""(log) => {
            const all = log.querySelectorAll('.m.assistant:not(.writing)');
            const a = all[all.length - 1].getBoundingClientRect(), l = log.getBoundingClientRect();
            return {top: a.top, height: a.height, logTop: l.top, logBottom: l.bottom,
                    logHeight: log.clientHeight, scrolled: log.scrollTop};
        }""")
        return box if box["scrolled"] > 0 else None

    box = wait_for(placed, what="the log scrolled to the new answer")
    assert box["height"] > box["logHeight"], "the answer fits: this case proves nothing"
    assert box["logTop"] - 1 <= box["top"] <= box["logTop"] + 40, box  # its first line in view
    assert answer.locator("p").first.is_visible()
    shot(page, f"21-long-answer-from-its-start-{language}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_feedback_buttons_are_icons_that_need_no_emoji_font(
        kotae: Kotae, pages: Pages, language: str) -> None:
    from playwright.sync_api import expect

    page = open_widget(pages, kotae, language)
    question = ("How do I set up SAML SSO with Okta?" if language == "en"
                else "データのエクスポート方法を教えてください")
    answer = ask(page, question)
    yes, no = (("Yes, this helped", "No, this did not help") if language == "en"
               else ("役に立った", "役に立たなかった"))
    for name in (yes, no):
        button = answer.get_by_role("button", name=name)
        expect(button.locator("svg path")).to_have_count(1)
        assert button.inner_text().strip() == ""  # no emoji characters to render as boxes
        box = button.locator("svg").bounding_box()
        assert box is not None and box["width"] >= 14
    answer.get_by_role("button", name=no).click()
    expect(answer).to_contain_text("Thanks for your feedback." if language == "en"
                                   else "フィードバックありがとうございます。")


def test_the_idempotency_key_comes_from_get_random_values_on_a_page_without_random_uuid(
        kotae: Kotae, pages: Pages) -> None:
    # On a plain http page (not localhost) crypto.randomUUID does not exist; Math.random is
    # not good enough for a key that must never repeat. Take both away before the widget loads.
    page = pages.open("about:blank")
    page.add_init_script("""
        delete Crypto.prototype.randomUUID;
        Math.random = () => { throw new Error('Math.random used'); };
    """)
    page.goto(kotae.url + "/")
    page.get_by_role("button", name="Support chat").click()
    with page.expect_request("**/v1/inquiries") as request:
        page.locator("#kotae-input").fill("How do I set up SAML SSO with Okta?")
        page.locator("#kotae-input").press("Enter")
    key = request.value.headers["idempotency-key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key), key
    page.locator(".m.assistant .fb").wait_for()


def test_a_request_for_a_person_typed_in_the_japanese_widget_reaches_one(
        kotae: Kotae, pages: Pages) -> None:
    from playwright.sync_api import expect

    page = open_widget(pages, kotae, "ja")
    notice = ask(page, "担当者と話したいです")
    expect(notice).to_have_class(re.compile(r"\bnotice\b"))
    expect(notice).to_contain_text("サポート担当者に引き継ぎました")
    saved = page.evaluate("() => JSON.parse(Object.entries(localStorage)"
                          ".find(([k]) => k.startsWith('kotae:'))[1])")
    queue = kotae.api("GET", "/v1/escalations?status=open&limit=200", "agent")["items"]
    mine = [e for e in queue if e["conversation_id"] == saved["id"]]
    assert [e["reason"] for e in mine] == ["human_requested"], mine
    assert mine[0]["language"] == "ja" and mine[0]["preview"] == "担当者と話したいです"
    shot(page, "22-japanese-human-request")


TABLE_ANSWER = {
    "en": ("Storage by plan:", ["Plan", "Workspace storage", "Max size per file"]),
    "ja": ("プランごとのストレージ：", ["プラン", "ワークスペースのストレージ", "1ファイルの上限"]),
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_on_a_phone_a_table_keeps_its_words_whole_and_the_feedback_buttons_together(
        kotae: Kotae, pages: Pages, language: str) -> None:
    from playwright.sync_api import expect

    lead, head = TABLE_ANSWER[language]
    rows = [("Free", "1 GB", "25 MB"), ("Business", "1 TB", "250 MB"),
            ("Enterprise", "Set in your contract", "250 MB")]
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    html = (f"<p>{lead}</p><table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + f"</tr></thead><tbody>{cells}</tbody></table>")
    page = open_widget(pages, kotae, language, width=375, height=740)
    page.route("**/v1/inquiries", lambda route: answer_from_server(route, lead, html, []))
    page.route("**/v1/conversations/*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"id": "conv_test", "messages": []})))
    answer = ask(page, "What are the storage limits?" if language == "en"
                 else "ストレージの上限は？")
    expect(answer.locator("table td")).to_have_count(9)
    # A plan's name on one line: at 375 px "Business" was cut into "Busine" and "ss".
    lines = answer.locator("td").evaluate_all("""(tds) => tds.map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return [td.textContent, tops.size];
    })""")
    words = {text: n for text, n in lines if " " not in text}
    assert words == {"Free": 1, "Business": 1, "Enterprise": 1}, lines
    # The two feedback buttons stay on one line, even where the question takes a line of its own.
    yes, no = (answer.locator(".fb button.yes").bounding_box(),
               answer.locator(".fb button.no").bounding_box())
    assert yes is not None and no is not None and abs(yes["y"] - no["y"]) < 2, (yes, no)
    # On a phone an answer takes the log's whole width (it kept 88%, squeezing the table).
    widths = answer.evaluate("a => [a.getBoundingClientRect().width, a.parentElement.clientWidth]")
    assert widths[0] >= widths[1] - 30, widths
    shot(page, f"23-table-on-a-phone-{language}")
