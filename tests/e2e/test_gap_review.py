"""Reviewing a knowledge gap in the console, in Chromium, in English and Japanese: an admin
edits the drafted article and approves it, and it is then a knowledge-base article with the
edited text (found by the API's search); an admin can also dismiss a gap; support agents see
the gaps read-only. Customers' words in a draft are shown as text, never as markup."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest

from storage.db import Database
from storage.models import InsightClusterRow, KnowledgeGapRow
from tests.e2e.conftest import Kotae, Pages, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

UI = {
    "en": {"locale": "en-US", "key": "API key", "sign_in": "Sign in", "insights": "Insights",
           "title": "Article title", "draft": "Article text", "approve": "Approve as article",
           "dismiss": "Dismiss", "approved": "Published as knowledge-base article {doc}.",
           "dismissed": "Dismissed: this gap is not raised again."},
    "ja": {"locale": "ja-JP", "key": "APIキー", "sign_in": "サインイン", "insights": "インサイト",
           "title": "記事のタイトル", "draft": "記事の本文", "approve": "記事として承認",
           "dismiss": "却下", "approved": "ナレッジベースの記事 {doc} として公開しました。",
           "dismissed": "却下しました。このナレッジの不足は今後表示されません。"},
}
DRAFTS = {
    "en": ("Printing a board as a poster <img src=x>",
           "Open the board, choose Export > PDF and pick A0 as the page size. <b>Print</b> it.",
           "Wall posters of a board: export it as an A0 PDF",
           "Large-format printers at any print shop accept the A0 PDF of the whole board."),
    "ja": ("ボードをポスターとして印刷する <img src=x>",
           "ボードを開き「エクスポート」>「PDF」を選び、用紙サイズにA0を指定してください。<b>印刷</b>",
           "ボードの壁用ポスター：A0のPDFとしてエクスポート",
           "印刷会社の大判プリンターでボード全体のA0サイズのPDFをそのまま印刷できます。"),
}


def add_gap(kotae: Kotae, language: str, title: str, draft: str) -> tuple[str, str]:
    """Store an open gap (and its topic) as a re-cluster would; return (gap id, topic id)."""
    topic_id, gap_id = "top_e2e_" + uuid.uuid4().hex[:10], "gap_e2e_" + uuid.uuid4().hex[:10]
    centroid = np.zeros(8, dtype=np.float32)
    centroid[0] = 1.0
    db = Database.open(kotae.database_url)
    try:
        with db.session() as session:
            session.add(InsightClusterRow(id=topic_id, kind="topic", status="active",
                                          label="poster print a0", terms={"all": ["poster"]},
                                          model="e2e", centroid=centroid.tobytes(), radius=0.3,
                                          size=4))
            session.flush()
            session.add(KnowledgeGapRow(id=gap_id, topic_id=topic_id, language=language,
                                        status="open", title=title, draft=draft,
                                        evidence={"signals": 4, "resolutions": 4}))
            session.commit()
    finally:
        db.engine.dispose()
    return gap_id, topic_id


def open_insights(pages: Pages, kotae: Kotae, role: str, lang: str) -> Page:
    ui = UI[lang]
    page = pages.open(kotae.url + "/console/", locale=ui["locale"])
    page.get_by_label(ui["key"]).fill(kotae.keys[role])
    page.get_by_role("button", name=ui["sign_in"]).click()
    page.get_by_role("link", name=ui["insights"]).click()
    return page


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_admin_edits_and_approves_a_draft_and_it_becomes_an_article(
        kotae: Kotae, pages: Pages, lang: str) -> None:
    from playwright.sync_api import expect

    ui = UI[lang]
    title, draft, new_title, added = DRAFTS[lang]
    gap_id, topic_id = add_gap(kotae, lang, title, draft)
    other_id, _ = add_gap(kotae, lang, title + " (2)", draft)

    # A support agent sees the gap, read-only, with the customer's words as text.
    agent = open_insights(pages, kotae, "agent", lang)
    gaps = agent.locator("#insights-gaps")
    expect(gaps).to_contain_text(title)
    expect(gaps.locator("textarea, input, button")).to_have_count(0)
    expect(gaps.locator("img, b")).to_have_count(0)

    page = open_insights(pages, kotae, "admin", lang)
    form = page.locator(f"#gap-{gap_id}")
    expect(form.get_by_role("heading")).to_have_text(title)
    expect(form.get_by_label(ui["draft"])).to_have_value(draft)
    expect(page.locator("#insights-gaps img, #insights-gaps b")).to_have_count(0)
    form.get_by_label(ui["title"]).fill(new_title)
    form.get_by_label(ui["draft"]).fill(draft + "\n\n" + added)
    form.get_by_role("button", name=ui["approve"]).click()
    doc_id = f"insights/{topic_id}-{lang}"
    try:
        check_approval(kotae, page, form, ui, gap_id, other_id, doc_id, new_title, added, lang)
    finally:  # the server is shared by the session's tests: leave its knowledge base as found
        httpx.request("DELETE", f"{kotae.url}/v1/kb/documents/{doc_id}", timeout=30,
                      headers={"Authorization": f"Bearer {kotae.keys['admin']}"})


def check_approval(kotae: Kotae, page: Any, form: Any, ui: dict[str, str], gap_id: str,
                   other_id: str, doc_id: str, new_title: str, added: str, lang: str) -> None:
    """The approval is confirmed, the other gap dismissed, and the article is searchable."""
    from playwright.sync_api import expect

    expect(form.get_by_role("status")).to_have_text(ui["approved"].format(doc=doc_id))
    expect(form.get_by_role("button", name=ui["approve"])).to_be_disabled()
    shot(page, f"insights-gap-approved-{lang}", full_page=True)

    other = page.locator(f"#gap-{other_id}")
    other.get_by_role("button", name=ui["dismiss"]).click()
    expect(other.get_by_role("status")).to_have_text(ui["dismissed"])

    # Through the API: the gap is approved as edited, the other one dismissed, and the
    # knowledge base has the article with the edited text.
    approved = {g["id"]: g for g in kotae.api("GET", "/v1/insights/gaps",
                                              params={"status": "approved"})["items"]}
    assert approved[gap_id]["title"] == new_title and added in approved[gap_id]["draft"]
    assert approved[gap_id]["doc_id"] == doc_id
    dismissed = kotae.api("GET", "/v1/insights/gaps", params={"status": "dismissed"})["items"]
    assert other_id in {g["id"] for g in dismissed}
    hits = kotae.api("GET", "/v1/search", params={"q": added, "source": "kb", "k": 5,
                                                  "language": lang})["hits"]
    article = [h for h in hits if h["doc_id"] == doc_id]
    assert article, [h["doc_id"] for h in hits]
    assert article[0]["title"] == new_title
    assert added in " ".join(h["text"] for h in article)
