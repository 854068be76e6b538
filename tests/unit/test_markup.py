"""Answers as safe HTML for the widget and as plain text for drafts (agent.markup)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from agent.markup import complete_tables, to_html, to_plain

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


PRICING_JA = Path(__file__).resolve().parents[2] / "data" / "demo" / "kb" / "ja-plans-and-pricing.md"


def _table_middle() -> tuple[str, str]:
    """The Japanese pricing article's limits section, and a quote that starts in its table
    (as the widget showed for 「プランごとの料金と上限を教えてください」)."""
    text = PRICING_JA.read_text(encoding="utf-8")
    section = text[text.index("## 主な機能と上限"):text.index("## 無料トライアル")]
    rows = [line for line in section.splitlines() if line.startswith("| 自動化") or
            line.startswith("| ゲスト") or line.startswith("| 監査ログ")]
    quote = "**主な機能と上限**\n" + "\n".join(rows) + "\n\n日本語サポートの対応時間は平日です。"
    return quote, section


def test_a_quote_that_starts_inside_a_table_gets_the_tables_header_back() -> None:
    quote, section = _table_middle()
    assert "<thead>" not in to_html(quote), "the quote has a header: the case proves nothing"
    completed = complete_tables(quote, section)
    soup = BeautifulSoup(to_html(completed), "html.parser")
    assert [th.get_text() for th in soup.select("thead th")] == [
        "", "Free", "Team", "Business", "Enterprise"]
    assert [tr.td.get_text() for tr in soup.select("tbody tr")] == [
        "自動化の実行回数／月", "ゲスト", "監査ログ"]
    assert soup.find("strong").get_text() == "主な機能と上限"
    assert complete_tables(completed, section) == completed  # once is enough
    plain = to_plain(completed).splitlines()
    assert "| Free | Team | Business | Enterprise" in plain[2] and plain[3].startswith("自動化")


@pytest.mark.parametrize("rows", [
    "| Projects | 3 | unlimited |\n| Storage | 1 GB | 100 GB |",
    "| プロジェクト数 | 3件 | 無制限 |\n| ストレージ | 1GB | 100GB |",
])
def test_table_rows_without_a_header_anywhere_still_show_as_a_table(rows: str) -> None:
    html = to_html(f"Limits:\n{rows}")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("thead") is None and len(soup.select("tbody tr")) == 2, html
    assert "|" not in soup.get_text()
    assert "|" in to_plain(f"Limits:\n{rows}").splitlines()[-1]  # a row per line, cells apart
    assert not any(line.strip() in {"|", "| |", "|  |"} for line in to_plain(rows).splitlines())


def test_pipes_in_code_and_a_real_table_are_left_as_they_are() -> None:
    code = "```\n| not | a table |\n| just | code |\n```"
    assert complete_tables(code) == code
    assert complete_tables(ANSWER_EN) == ANSWER_EN and complete_tables(ANSWER_JA) == ANSWER_JA
    assert complete_tables("Use a | to separate fields.") == "Use a | to separate fields."


def test_table_patterns_are_linear_time_and_count_escaped_pipes_as_text() -> None:
    from agent import markup
    from retrieval.linear_re import LinearPattern

    # They run on knowledge-base text in every answer, so no line can stall them.
    for pattern in (markup._ROW, markup._DELIMITER, markup._FENCE, markup._EMPTY_HEAD):
        assert isinstance(pattern, LinearPattern)
    assert "| a | b |" in complete_tables("|---" + " " * 50_000 + "x\n| a | b |\n| c | d |")
    # An escaped pipe is text inside a cell: two cells, so an empty header of two.
    headed = complete_tables("| a \\| b | c |\n| d | e |")
    assert headed.startswith("| | |\n|---|---|\n")
