"""Account health and content performance over the API: roles, the parts of a score, sorting,
the CSV, masked personal data, the band-change webhook, in English and Japanese, on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.models import OutboxRow
from tests.integration.test_api_harness import ROLES, FakeAgent, ask, auth, client_for, services_of

ACCOUNTS = [
    {"account_id": "acct_en", "company": "Bluefin Labs", "plan": "Team"},
    {"account_id": "acct_ja", "company": "株式会社ミナト物流", "plan": "Business"},
]


@pytest.fixture
def client(db_url: str, agent: FakeAgent, tmp_path: Path) -> Iterator[TestClient]:
    """An app that recomputes insights on every read and names the two test accounts."""
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    with client_for(db_url, agent=agent, insights_max_age_s=0.0, accounts_path=str(path),
                    maintenance_s=3600.0) as client:
        yield client


def customer(account: str) -> dict[str, Any]:
    return {"customer": {"id": f"user-{account}", "account_id": account}}


def traffic(client: TestClient) -> dict[str, Any]:
    """A struggling English account and a growing Japanese one."""
    for text in ("I want to cancel our plan, this keeps failing",
                 "Please cancel the subscription now, reach me at ken@bluefin.example",
                 "We will cancel if this is not fixed"):
        ask(client, text, **customer("acct_en"))
    first = ask(client, "How do I invite people?", **customer("acct_en"))
    ask(client, "That did not work, I still cannot invite anyone", token=first["conversation_token"],
        conversation_id=first["conversation_id"], **customer("acct_en"))
    client.post(f"/v1/inquiries/{first['inquiry_id']}/feedback", json={"helpful": False},
                headers=auth("widget", **{"X-Conversation-Token": first["conversation_token"]}))
    grow = [ask(client, "席を追加したいです (seats) 100名分", **customer("acct_ja")) for _ in range(3)]
    client.post(f"/v1/inquiries/{grow[0]['inquiry_id']}/feedback", json={"helpful": True},
                headers=auth("widget", **{"X-Conversation-Token": grow[0]["conversation_token"]}))
    return first


def test_every_insights_route_admits_only_its_roles(client: TestClient) -> None:
    allowed = {"/v1/accounts": {"csm", "admin"}, "/v1/accounts.csv": {"csm", "admin"},
               "/v1/insights/content": {"agent", "admin"}}
    for path, roles in allowed.items():
        for role in ROLES:
            status = client.get(path, headers=auth(role)).status_code
            assert status == (200 if role in roles else 403), (path, role, status)
        assert client.get(path).status_code == 401
    assert client.get("/v1/accounts/acct_x", headers=auth("widget")).status_code == 403
    assert client.get("/v1/accounts/acct_x", headers=auth("csm")).status_code == 404


def test_health_shows_each_part_and_sorts_by_risk_and_by_expansion(client: TestClient) -> None:
    traffic(client)
    page = client.get("/v1/accounts", headers=auth("csm")).json()
    assert [a["account_id"] for a in page["items"]] == ["acct_en", "acct_ja"]
    en, ja = page["items"]
    assert en["name"] == "Bluefin Labs" and ja["name"] == "株式会社ミナト物流"
    assert en["band"] in ("watch", "at_risk") and ja["band"] == "healthy"
    parts = {p["name"]: p for p in en["parts"]}
    assert parts["churn_signals"]["value"] == 3 and parts["churn_signals"]["contribution"] == -20
    assert parts["open_escalations"]["value"] == 3
    assert parts["repeated_contacts"]["value"] == 1
    assert parts["unhelpful_answers"]["value"] == 1
    # No opaque number: the score is 100 plus the contributions shown.
    assert en["score"] == pytest.approx(100 + sum(p["contribution"] for p in en["parts"]), abs=0.1)
    by_growth = client.get("/v1/accounts?sort=expansion", headers=auth("admin")).json()
    assert by_growth["items"][0]["account_id"] == "acct_ja"
    assert by_growth["items"][0]["expansion"] > 0 and en["expansion"] == 0
    healthy = client.get("/v1/accounts?band=healthy", headers=auth("csm")).json()
    assert [a["account_id"] for a in healthy["items"]] == ["acct_ja"]
    assert page["bands"]["healthy"] == 1


def test_one_account_shows_its_latest_words_with_personal_data_masked(client: TestClient) -> None:
    traffic(client)
    detail = client.get("/v1/accounts/acct_en", headers=auth("csm")).json()
    texts = " ".join(i["text"] for i in detail["recent_inquiries"])
    evidence = " ".join(s["evidence"] for s in detail["recent_signals"])
    assert "cancel the subscription" in texts and "cancel the subscription" in evidence
    assert "ken@bluefin.example" not in texts + evidence
    assert detail["band_since"] is not None
    ja = client.get("/v1/accounts/acct_ja", headers=auth("csm")).json()
    assert "席を追加" in ja["recent_inquiries"][0]["text"]
    assert ja["recent_signals"][0]["localized"]["ja"]["why"] == "席を増やしたい"


def test_the_csv_opens_in_excel_with_japanese_names_and_every_part(client: TestClient) -> None:
    traffic(client)
    response = client.get("/v1/accounts.csv", headers=auth("csm"))
    assert response.headers["content-type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Bluefin Labs", "株式会社ミナト物流"]
    assert rows[0]["churn_signals"] == "3 (-20)"
    assert "@" not in raw.decode("utf-8-sig")


def test_crossing_a_band_emits_one_webhook_event(client: TestClient) -> None:
    assert client.get("/v1/accounts", headers=auth("csm")).json()["items"] == []
    ask(client, "How do I invite people?", **customer("acct_en"))
    client.get("/v1/accounts", headers=auth("csm"))
    for _ in range(3):
        ask(client, "I will cancel, this is broken", **customer("acct_en"))
    client.get("/v1/accounts", headers=auth("csm"))
    client.get("/v1/accounts", headers=auth("csm"))
    with services_of(client).db.session() as session:
        events = session.scalars(
            select(OutboxRow).where(OutboxRow.event == "account.health_changed")).all()
    assert len(events) == 1
    data = events[0].payload["data"]
    assert data["account_id"] == "acct_en" and data["previous_band"] == "healthy"
    assert data["band"] in ("watch", "at_risk")
    assert data["main_parts"][0]["name"] == "churn_signals"


def test_stale_health_is_refreshed_by_one_of_several_hosts(client: TestClient) -> None:
    from insights.accounts import _claim_refresh, computed_at
    from storage.models import utcnow

    ask(client, "I will cancel, this is broken", **customer("acct_en"))
    client.get("/v1/accounts", headers=auth("csm"))
    db = services_of(client).db
    with db.session() as first, db.session() as second:
        last = computed_at(first)
        assert last is not None
        now = utcnow()
        # Both hosts found it stale at `last`: the first to move it on refreshes.
        assert _claim_refresh(first, last, now) is True
        assert _claim_refresh(second, last, now) is False
        assert computed_at(second) == now


def test_content_performance_counts_citations_feedback_and_later_escalations(
    client: TestClient,
) -> None:
    first = traffic(client)
    client.post(f"/v1/conversations/{first['conversation_id']}/human", json={},
                headers=auth("widget", **{"X-Conversation-Token": first["conversation_token"]}))
    page = client.get("/v1/insights/content", headers=auth("agent")).json()
    (article,) = page["items"]
    # kb-start answered the invite question, its follow-up and the three seat questions.
    assert article["doc_id"] == "kb-start" and article["cited"] == 5
    assert (article["helpful"], article["unhelpful"]) == (1, 1)
    assert article["helpful_rate"] == 0.5
    # The invite answer and its follow-up were followed by a request for a person (and a 👎).
    assert article["escalated_after"] == 2 and article["trouble_rate"] == pytest.approx(2 / 5)
    assert client.get("/v1/insights/content?days=0", headers=auth("agent")).status_code == 422


def test_a_live_receiver_gets_the_signed_band_change_of_each_account(tmp_path: Path) -> None:
    from storage.outbox import verify_signature
    from tests.integration.test_api_harness import WEBHOOK_SECRET, sqlite_url, webhook_receiver
    from tests.support.net import wait_until

    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    with (
        webhook_receiver() as receiver,
        client_for(sqlite_url(tmp_path), insights_max_age_s=0.0, accounts_path=str(path),
                   maintenance_s=3600.0, webhook_url=receiver.url,
                   webhook_secret=WEBHOOK_SECRET) as client,
    ):
        ask(client, "How do I invite people?", **customer("acct_en"))
        ask(client, "メンバーを招待するには？ (invite)", **customer("acct_ja"))
        assert {a["band"] for a in client.get("/v1/accounts", headers=auth("csm")).json()[
            "items"]} == {"healthy"}
        for _ in range(3):
            ask(client, "I will cancel, this is broken", **customer("acct_en"))
            ask(client, "もう解約します、まだ直っていません (cancel)", **customer("acct_ja"))
        client.get("/v1/accounts", headers=auth("csm"))
        wait_until(lambda: len(receiver.events("account.health_changed")) == 2,
                   what="both band changes delivered")
        client.get("/v1/accounts", headers=auth("csm"))  # no change since: nothing more
    changes = [d for d in receiver.deliveries if d.json["type"] == "account.health_changed"]
    assert len(changes) == 2
    by_account, bodies = {}, {}
    for delivery in changes:
        headers = {k.lower(): v for k, v in delivery.headers.items()}
        assert headers["x-kotae-event"] == "account.health_changed"
        assert verify_signature(WEBHOOK_SECRET, headers["x-kotae-timestamp"], delivery.body,
                                headers["x-kotae-signature"])
        assert not verify_signature(WEBHOOK_SECRET, headers["x-kotae-timestamp"],
                                    delivery.body + b" ", headers["x-kotae-signature"])
        event = delivery.json
        assert event["id"] == headers["x-kotae-delivery"]
        by_account[event["data"]["account_id"]] = event["data"]
        bodies[event["data"]["account_id"]] = delivery.body
    en, ja = by_account["acct_en"], by_account["acct_ja"]
    assert (en["name"], ja["name"]) == ("Bluefin Labs", "株式会社ミナト物流")
    assert "株式会社ミナト物流".encode() in bodies["acct_ja"]  # UTF-8, as signed
    for data in (en, ja):
        assert data["previous_band"] == "healthy" and data["band"] in ("watch", "at_risk")
        assert data["main_parts"][0]["name"] == "churn_signals"
        assert data["main_parts"][0]["value"] == 3 and data["score"] < 75
