"""The knowledge-gap loop through the API with the real agent, model and index, in English and
Japanese: questions no article answers are escalated for low confidence; support agents
resolve them; a re-cluster finds the gap with a draft made of their cleaned answers; an admin
approves it; the same question is then answered citing the new article. Also: who may call
each insights route, and what the bug export sends."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.factory import build_agent
from settings import load_settings
from storage.models import OutboxRow, utcnow
from tests.integration.test_api_harness import ROLES, ask, auth, client_for, services_of
from tests.support.postgres import database_url

ARTICLES = ("invite-members-and-roles.md", "invoices-and-payment-methods.md",
            "guest-access.md", "due-dates.md", "ja-export-data.md")

POSTER_EN = [
    "Can Tsunagu print a wall poster of our Kanban board in A0 size?",
    "How do I print our board as a large poster for the office wall?",
    "Is it possible to print the Kanban board on A0 paper as a poster?",
    "We want a printed A0 poster of the project board. How?",
]
POSTER_JA = [
    "カンバンボードをA0サイズのポスターとして印刷できますか？",
    "ボードを大きなポスターに印刷してオフィスの壁に貼りたいです。",
    "プロジェクトのボードをA0用紙のポスターに印刷する方法は？",
    "カンバンボードを印刷してA0のポスターにできますか？",
]
RESOLUTION_EN = ("Hi {name},\n\nThanks for reaching out!\nOpen the board, choose Export > PDF and "
                 "pick A0 as the page size. Print that PDF at any print shop; poster printing "
                 "is not built into Tsunagu.\n\nBest regards,\nAlex Chen\nTsunagu Support")
RESOLUTION_JA = ("{name}様\n\nお問い合わせありがとうございます。\nボードを開き「エクスポート」>「PDF」"
                 "を選んで、用紙サイズにA0を指定してください。そのPDFを印刷会社でポスターに印刷できます。"
                 "Tsunaguにはポスター印刷の機能はありません。\n\nよろしくお願いいたします。\n"
                 "サポート担当 佐藤")


@pytest.fixture
def client(e5_article_store: Callable[[Sequence[str]], Path], e5_embedder: Any,
           tmp_path: Path) -> Iterator[TestClient]:
    """The app over a small knowledge base with nothing on posters, indexed with the
    multilingual model (a copy: approving a gap writes to the index)."""
    store = tmp_path / "store"
    shutil.copytree(e5_article_store(ARTICLES), store)
    agent = build_agent(load_settings(store_dir=store, mode="offline"), embedder=e5_embedder)
    with client_for(database_url("sqlite", tmp_path), agent=agent) as test_client:
        yield test_client


def _resolve(client: TestClient, escalation_id: str, answer: str) -> None:
    response = client.post(f"/v1/escalations/{escalation_id}/resolve",
                           json={"answer": answer}, headers=auth("agent"))
    assert response.status_code == 200, response.text


def test_a_gap_found_drafted_approved_and_then_answered_in_both_languages(
        client: TestClient) -> None:
    names = ["Ken", "Maria", "Tom", "Aiko"]
    for questions, template, given in ((POSTER_EN, RESOLUTION_EN, names),
                                       (POSTER_JA, RESOLUTION_JA, ["山田", "鈴木", "高橋", "田中"])):
        for question, name in zip(questions, given, strict=True):
            decided = ask(client, question, customer={"account_id": "acct_poster"})["decision"]
            assert decided["action"] == "escalate", (question, decided)
            assert decided["escalation"]["reason"] == "low_confidence"
            escalation = client.get("/v1/escalations", params={"status": "open"},
                                    headers=auth("agent")).json()["items"][0]["id"]
            _resolve(client, escalation, template.format(name=name))
    for question in ("How do I invite people to my workspace?",
                     "Where do I download my invoices?", "How do I invite a guest?",
                     "メンバーを招待するにはどうすればいいですか？"):
        ask(client, question)

    recomputed = client.post("/v1/insights/recompute", headers=auth("admin"))
    assert recomputed.status_code == 200, recomputed.text
    gaps = client.get("/v1/insights/gaps", headers=auth("agent")).json()["items"]
    by_language = {g["language"]: g for g in gaps}
    assert set(by_language) == {"en", "ja"}, gaps
    english, japanese = by_language["en"], by_language["ja"]
    assert english["topic_id"] == japanese["topic_id"]  # one topic across the two languages
    assert english["evidence"]["signals"] == 4 and english["evidence"]["resolutions"] == 4
    assert "A0" in english["draft"] and "Export > PDF" in english["draft"]
    assert "A0" in japanese["draft"] and "エクスポート" in japanese["draft"]
    for gap in (english, japanese):
        for personal in ("Ken", "Maria", "Alex", "Best regards", "山田", "佐藤", "様",
                         "よろしくお願いいたします", "Thanks for reaching out"):
            assert personal not in gap["draft"], (personal, gap["draft"])
        # The same sentence from four resolutions appears once.
        assert gap["draft"].count("A0") == 1, gap["draft"]

    # Agents see the gaps but only admins publish them.
    assert client.post(f"/v1/insights/gaps/{english['id']}/approve", json={},
                       headers=auth("agent")).status_code == 403
    edited = english["draft"] + " Large-format printers also accept the PDF directly."
    approved = client.post(f"/v1/insights/gaps/{english['id']}/approve",
                           json={"title": "Printing a board as an A0 poster", "draft": edited},
                           headers=auth("admin"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["outcome"] == "added"
    approved_ja = client.post(f"/v1/insights/gaps/{japanese['id']}/approve", json={},
                              headers=auth("admin")).json()
    assert approved_ja["status"] == "approved"

    for question, doc in ((POSTER_EN[0], english), (POSTER_JA[0], japanese)):
        decided = ask(client, question)["decision"]
        assert decided["action"] == "answer", decided
        assert decided["citations"][0]["id"] == f"insights/{doc['topic_id']}-{doc['language']}"
        assert "A0" in decided["answer"]
    assert client.get("/v1/insights/gaps", headers=auth("agent")).json()["items"] == []

    # The topic page shows the gap's topic with its escalations and, now, its answers (a
    # period given: computed now; the default page is a copy up to KOTAE_INSIGHTS_MAX_AGE_S old).
    since = (utcnow() - timedelta(days=1)).isoformat()
    page = client.get("/v1/insights/topics", params={"since": since},
                      headers=auth("csm")).json()["items"]
    poster = next(t for t in page if t["id"] == english["topic_id"])
    assert poster["volume"] == 10 and poster["escalation_reasons"] == {"low_confidence": 8}
    month = client.get("/v1/insights/topics", params={"days": 30}, headers=auth("csm")).json()
    assert any(t["id"] == english["topic_id"] for t in month["items"])
    assert client.get("/v1/insights/topics", params={"days": 0},
                      headers=auth("csm")).status_code == 422
    assert poster["languages"] == {"en": 5, "ja": 5}


CONFLICTING = {
    "kb-refunds": ("Refunds", "You can ask for a refund within 14 days of your purchase. Open "
                   "Billing, choose the invoice and press Request refund.", "en"),
    "kb-refunds-old": ("Refunds", "You can ask for a refund within 30 days of your purchase. "
                       "Open Billing, choose the invoice and press Request refund.", "en"),
    "kb-ja-trial": ("無料トライアル", "無料トライアルは14日間です。期間が終わると自動的に"
                    "フリープランに切り替わります。", "ja"),
    "kb-ja-trial-old": ("無料トライアル", "無料トライアルは30日間です。期間が終わると自動的に"
                        "フリープランに切り替わります。", "ja"),
}


def conflicting_articles_are_listed(client: TestClient, before: int) -> None:
    """Add an English and a Japanese pair that differ in a number; both pairs are listed."""
    for doc_id, (title, text, language) in CONFLICTING.items():
        response = client.put(f"/v1/kb/documents/{doc_id}", headers=auth("admin"),
                              json={"title": title, "text": text, "language": language})
        assert response.status_code == 200, response.text
    page = client.get("/v1/insights/conflicts", headers=auth("agent"))
    assert page.status_code == 200, page.text
    assert page.json()["articles"] == before + len(CONFLICTING)
    found = {(c["kind"], c["first"], c["second"], tuple(sorted(c["numbers"])))
             for c in page.json()["items"]}
    assert ("contradictory", "kb-refunds", "kb-refunds-old", ("day",)) in found
    assert {(first, second) for _kind, first, second, _units in found
            if "kb-ja-trial" in (first, second)} == {("kb-ja-trial", "kb-ja-trial-old")}


def test_conflicting_articles_in_the_real_index_are_listed_in_both_languages(
        client: TestClient) -> None:
    conflicting_articles_are_listed(client, before=len(ARTICLES))


def test_conflicting_articles_of_the_fake_agent_are_listed(roles_client: TestClient) -> None:
    before = roles_client.get("/v1/insights/conflicts", headers=auth("agent")).json()
    conflicting_articles_are_listed(roles_client, before=before["articles"])


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/v1/insights/topics", {"csm", "admin"}),
    ("POST", "/v1/insights/recompute", {"admin"}),
    ("PATCH", "/v1/insights/topics/top_x", {"admin"}),
    ("POST", "/v1/insights/topics/top_x/merge", {"admin"}),
    ("GET", "/v1/insights/bugs", {"agent", "admin"}),
    ("GET", "/v1/insights/bugs.csv", {"agent", "admin"}),
    ("POST", "/v1/insights/bugs/bug_x/fixed", {"agent", "admin"}),
    ("POST", "/v1/insights/bugs/bug_x/export", {"agent", "admin"}),
    ("GET", "/v1/insights/gaps", {"agent", "admin"}),
    ("PUT", "/v1/insights/gaps/gap_x", {"admin"}),
    ("POST", "/v1/insights/gaps/gap_x/approve", {"admin"}),
    ("POST", "/v1/insights/gaps/gap_x/dismiss", {"admin"}),
    ("GET", "/v1/insights/conflicts", {"agent", "admin"}),
])
def test_every_insights_route_admits_only_its_roles(
        method: str, path: str, allowed: set[str], roles_client: TestClient) -> None:
    body = {"into": "top_y"} if path.endswith("merge") else {}
    for role in ROLES:
        response = roles_client.request(method, path, json=body, headers=auth(role))
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code)
    assert roles_client.request(method, path, json=body).status_code == 401


@pytest.fixture(scope="module")
def roles_client(tmp_path_factory: pytest.TempPathFactory,
                 e5_embedder: Any) -> Iterator[TestClient]:
    from tests.integration.test_api_harness import FakeAgent

    agent = FakeAgent()
    agent.embedder = e5_embedder
    path = tmp_path_factory.mktemp("roles")
    with client_for(database_url("sqlite", path), agent=agent) as test_client:
        yield test_client


def test_a_bug_cluster_exported_as_csv_and_webhook_masks_personal_data(
        roles_client: TestClient) -> None:
    reports = [
        "CSV export fails with 'Export failed' on our big project. Call me at 090-1234-5678",
        "Exporting the large project to CSV gives 'Export failed, please try again' "
        "(ken@bluefin.example)",
        "大きなプロジェクトをCSVでエクスポートすると「エクスポートに失敗しました」と出ます",
    ]
    for n, text in enumerate(reports):
        ask(roles_client, f"{text} bug",
            customer={"account_id": f"acct_{n}", "email": "x@y.example"})
    services = services_of(roles_client)
    with services.db.session() as session:
        from insights.bugs import compute_bug_clusters
        from storage.models import InquiryRow

        for row in session.query(InquiryRow):
            row.tag = "bug"
        session.commit()
        compute_bug_clusters(session, services.agent.embedder)
    found = roles_client.get("/v1/insights/bugs", headers=auth("agent")).json()["items"]
    export = max(found, key=lambda c: c["count"])
    assert export["accounts"] == ["acct_0", "acct_1", "acct_2"]
    exported = roles_client.get("/v1/insights/bugs.csv", headers=auth("agent")).text
    sent = roles_client.post(f"/v1/insights/bugs/{export['id']}/export",
                             headers=auth("agent")).json()["issue"]
    for shown in (str(found), exported, str(sent)):
        assert "090-1234-5678" not in shown and "ken@bluefin.example" not in shown
    assert {"title", "body", "labels"} <= set(sent) and "bug" in sent["labels"]
    with services.db.session() as session:
        events = session.query(OutboxRow).filter_by(event="insight.bug_cluster").all()
        assert [e.payload["data"]["cluster_id"] for e in events] == [export["id"]]
