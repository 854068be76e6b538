"""A question answered from an article that exists only in the other language, in the widget
of each language: the multilingual model finds it, the answer decision trusts it although no
word of the question can be in it, and the customer is told the article is quoted as written."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Kotae, Pages, shot
from tests.e2e.test_answers import ARTICLE, ask, open_widget

pytestmark = pytest.mark.e2e

# (widget language, question, the article it must cite, what must be rendered, the notice
# that the article is in the other language, a fact of the passage that answers it)
CASES = [
    ("ja", "Slackと連携する方法を教えてください", "slack-integration", "ol > li",
     "英語の記事", "Workspace settings > Integrations > Slack"),
    ("en", "What is your invoice issuer registration number (T number)?",
     "ja-qualified-invoice", "table td", "article written in Japanese", "T1234567890123"),
]


@pytest.mark.parametrize(("language", "question", "article", "holds", "notice", "fact"), CASES,
                         ids=["ja-question-en-article", "en-question-ja-article"])
def test_a_question_is_answered_from_an_article_only_in_the_other_language(
        bilingual_kotae: Kotae, pages: Pages, language: str, question: str, article: str,
        holds: str, notice: str, fact: str) -> None:
    from playwright.sync_api import expect

    page = open_widget(pages, bilingual_kotae, language)
    answer = ask(page, question)
    # An answer (it offers feedback), not a hand-over notice.
    expect(answer.locator(".fb")).to_have_count(1)
    expect(answer.locator("p").first).to_contain_text(notice)
    expect(answer.locator("p").first.locator(f'a[href="{ARTICLE}{article}"]')).to_be_visible()
    expect(answer.locator(holds).first).to_be_visible()  # rendered, not raw Markdown
    text = answer.inner_text()
    assert fact in text, text
    for mark in ("**", "|---|", "]("):
        assert mark not in text, (mark, text)
    shot(page, f"22-crosslingual-{language}-question")
