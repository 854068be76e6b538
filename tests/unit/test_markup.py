"""Answers as safe HTML for the widget and as plain text for drafts (agent.markup)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from agent.markup import to_html, to_plain

ANSWER_EN = """Here is what our help centre article [Payment methods](https://help.example/pay) says:

**Bank transfer**
1. Go to **Billing > Payment method**.
2. Click *Apply for invoice billing*.
   - Needs **10 or more seats**

| Method | Available for |
|---|---|
| Card | All plans |
| Bank transfer | 10+ seats |
"""

ANSWER_JA = """ヘルプセンターの記事「[お支払い方法](https://help.example/ja-pay)」に以下の案内があります。

**銀行振込**
1. 「**請求**」＞「**支払い方法**」を開きます。
2. 「請求書払いを申し込む」をクリックします。

| 方法 | 対象 |
|---|---|
| カード | すべてのプラン |
| 銀行振込 | 10席以上 |
"""


@pytest.mark.parametrize("answer", [ANSWER_EN, ANSWER_JA])
def test_lists_tables_bold_and_links_render_as_html_not_as_marks(answer: str) -> None:
    html = to_html(answer)
    assert "<ol>" in html and html.count("<li>") >= 2
    assert "<table>" in html and "<td>" in html
    assert "<strong>" in html
    assert 'href="https://help.example/' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "**" not in html and "|---|" not in html and "---" not in html


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="https://x" onclick="alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_nothing_in_a_source_can_run_script_in_the_widget(payload: str) -> None:
    soup = BeautifulSoup(to_html(f"See this: {payload}"), "html.parser")
    tags = {tag.name for tag in soup.find_all(True)}
    assert tags <= {"p", "a"}, tags
    for tag in soup.find_all(True):
        assert not any(name.startswith("on") for name in tag.attrs), tag
    for link in soup.find_all("a"):
        assert str(link.get("href", "")).startswith("https://"), link


@pytest.mark.parametrize(("answer", "lines"), [
    (ANSWER_EN, ["Here is what our help centre article Payment methods (https://help.example/pay) says:",
                 "Bank transfer", "1. Go to Billing > Payment method.",
                 "2. Click Apply for invoice billing.", "   - Needs 10 or more seats",
                 "Card | All plans"]),
    (ANSWER_JA, ["ヘルプセンターの記事「お支払い方法 (https://help.example/ja-pay)」に以下の案内があります。",
                 "銀行振込", "1. 「請求」＞「支払い方法」を開きます。", "銀行振込 | 10席以上"]),
])
def test_plain_text_keeps_numbers_bullets_rows_and_addresses(answer: str, lines: list[str]) -> None:
    plain = to_plain(answer)
    for line in lines:
        assert line in plain.splitlines(), (line, plain)
    assert "**" not in plain and "|---|" not in plain and "](" not in plain


def test_a_link_whose_text_is_its_address_is_not_written_twice() -> None:
    assert to_plain("See <https://help.example/a>.") == "See https://help.example/a."


@pytest.mark.parametrize(("text", "href", "after"), [
    ("See https://help.example/articles/sso. Thanks!", "https://help.example/articles/sso", ". Thanks!"),
    ("詳しくはhttps://help.example/ja/sso をご覧ください。", "https://help.example/ja/sso", " をご覧ください。"),
    ("詳しくはhttps://help.example/ja/ssoをご覧ください。", "https://help.example/ja/sso", "をご覧ください。"),
    ("（https://help.example/ja/sso）", "https://help.example/ja/sso", "）"),
])
def test_a_bare_address_becomes_a_link_that_ends_where_the_sentence_resumes(
        text: str, href: str, after: str) -> None:
    soup = BeautifulSoup(to_html(text), "html.parser")
    links = soup.find_all("a")
    assert [link["href"] for link in links] == [href]
    assert links[0].get_text() == href
    assert str(links[0].next_sibling).startswith(after)


def test_words_with_dots_are_not_taken_for_addresses() -> None:
    html = to_html("Open settings.yaml or tsunagu.example/help, version 2.5.1, e.g. this.")
    assert "<a " not in html


def test_plain_text_of_a_bare_address_is_the_address_once() -> None:
    assert to_plain("詳しくはhttps://help.example/ja/ssoをご覧ください") == (
        "詳しくはhttps://help.example/ja/ssoをご覧ください")
